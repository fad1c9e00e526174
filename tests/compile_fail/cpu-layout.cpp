#include "common.hpp"
// rule backend-combination: the CPU backends take the stored layout as runtime data, so a concrete
// layout slot (one the kernel would read natively) does not build
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::mxfp4, activation::aq, layout::swizzled_128x4, backend::emulation>>() > 0);
