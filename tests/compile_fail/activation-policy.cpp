#include "common.hpp"
// rule activation-policy
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::nvfp4, int, layout::stored, backend::emulation>>() > 0);
