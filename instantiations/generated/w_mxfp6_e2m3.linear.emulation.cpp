// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e2m3.linear.emulation: linear kernel, mxfp6_e2m3 weights, a16 activations, linear scales, emulation backend (manifest line 40).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::linear, ::microscale::backend::emulation>;
