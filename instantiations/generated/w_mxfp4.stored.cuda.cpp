// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4.stored.cuda: linear kernel, mxfp4 weights, a16 activations, scales in any stored layout, cuda backend (manifest line 41).
#include "microscale/backend/cuda.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
