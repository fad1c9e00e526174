#include "common.hpp"
// rule scale-byte
using namespace microscale;
static_assert(force_instantiation<linear_kernel<bad::fp4_bf16_scales, activation::a16, layout::stored, backend::emulation>>() > 0);
