// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e3m2_a_mxfp6_e3m2.swizzled_128x4.emulation: linear kernel, mxfp6_e3m2 weights, aq activations, swizzled_128x4 scales, emulation backend (manifest line 43).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::swizzled_128x4, ::microscale::backend::emulation>;
