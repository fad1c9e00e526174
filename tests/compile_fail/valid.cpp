#include "common.hpp"
// control: a valid combination compiles with the same flags
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::mxfp4, activation::aq, layout::stored, backend::emulation>>() > 0);
