// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e3m2.linear.emulation: linear kernel, mxfp6_e3m2 weights, a16 activations, linear scales, emulation backend (manifest line 44).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::linear, ::microscale::backend::emulation>;
