// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4_a_mxfp4.stored.emulation: linear kernel, mxfp4 weights, aq activations, scales in any stored layout, emulation backend (manifest line 30).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
