// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e3m2_a_mxfp6_e3m2.stored.cuda: linear kernel, mxfp6_e3m2 weights, aq activations, scales in any stored layout, cuda backend (manifest line 44).
#include "microscale/backend/cuda.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>;
