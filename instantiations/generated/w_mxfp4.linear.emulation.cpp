// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4.linear.emulation: linear kernel, mxfp4 weights, a16 activations, linear scales, emulation backend (manifest line 36).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::linear, ::microscale::backend::emulation>;
