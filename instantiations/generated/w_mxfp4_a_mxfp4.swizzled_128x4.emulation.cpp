// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4_a_mxfp4.swizzled_128x4.emulation: linear kernel, mxfp4 weights, aq activations, swizzled_128x4 scales, emulation backend (manifest line 35).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::swizzled_128x4, ::microscale::backend::emulation>;
