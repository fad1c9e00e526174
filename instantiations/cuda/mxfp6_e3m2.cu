// The cuda backend's device code for format mxfp6_e3m2 (backend/cuda/linear.cuh).
#include "microscale/backend/cuda/linear.cuh"

MICROSCALE_CUDA_INSTANTIATE_FORMAT(microscale::format::mxfp6_e3m2)
