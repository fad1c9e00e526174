#include "common.hpp"
// rule scale-layout-policy
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::nvfp4, activation::a16, int, backend::emulation>>() > 0);
