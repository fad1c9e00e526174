#include "common.hpp"
// rule block-packing
using namespace microscale;
static_assert(force_instantiation<linear_kernel<bad::mxfp6_block30, activation::a16, layout::stored, backend::emulation>>() > 0);
