#include "common.hpp"
// rule backend-policy
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::nvfp4, activation::a16, layout::linear, int>>() > 0);
