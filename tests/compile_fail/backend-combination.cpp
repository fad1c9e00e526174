#include "common.hpp"
// rule backend-combination
using namespace microscale;
static_assert(force_instantiation<linear_kernel<format::mxfp4, activation::aq, layout::linear, bad::picky_backend>>() > 0);
