#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace attn::kernels {

const char* simdArchitecture() { return simd::Arch::name(); }

}  // namespace attn::kernels
