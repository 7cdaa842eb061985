#include "test_layers.h"

namespace attn {
using testing::TestAdd;
using testing::TestDropout;
using testing::TestMaskZero;
ATTN_REGISTER_LAYER(TestAdd, "testAdd", "TestAdd")
ATTN_REGISTER_LAYER(TestDropout, "testDropout", "TestDropout")
ATTN_REGISTER_LAYER(TestMaskZero, "testMaskZero", "TestMaskZero")
}  // namespace attn
