// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4_a_nvfp4.linear.emulation: linear kernel, nvfp4 weights, aq activations, linear scales, emulation backend (manifest line 30).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::emulation>;
