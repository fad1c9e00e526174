// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4_a_mxfp4.linear.emulation: linear kernel, mxfp4 weights, aq activations, linear scales, emulation backend (manifest line 34).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::emulation>;
