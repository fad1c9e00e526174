#include "common.hpp"
// rule element-width
using namespace microscale;
static_assert(force_instantiation<linear_kernel<bad::mxfp8, activation::a16, layout::stored, backend::emulation>>() > 0);
