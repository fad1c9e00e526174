#include "common.hpp"
// rule format-policy
using namespace microscale;
static_assert(force_instantiation<linear_kernel<int, activation::a16, layout::stored, backend::emulation>>() > 0);
