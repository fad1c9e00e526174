// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4.linear.emulation: linear kernel, nvfp4 weights, a16 activations, linear scales, emulation backend (manifest line 32).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::linear, ::microscale::backend::emulation>;
