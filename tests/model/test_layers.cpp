#include "test_layers.h"

namespace attn::layers_test {
using testing::TestAdd;
using testing::TestDropout;
using testing::TestMaskZero;
using testing::TestAttention;
ATTN_REGISTER_LAYER(TestAdd, "testAdd", "TestAdd")
ATTN_REGISTER_LAYER(TestDropout, "testDropout", "TestDropout")
ATTN_REGISTER_LAYER(TestMaskZero, "testMaskZero", "TestMaskZero")
ATTN_REGISTER_LAYER(TestAttention, "testAttention", "TestAttention")
}  // namespace attn::layers_test
