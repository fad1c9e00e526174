#include "common.hpp"
// rule activation-policy
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::nvfp4, int, layout::linear, backend::emulation>>() > 0);
