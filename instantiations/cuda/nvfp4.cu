// The cuda backend's device code for format nvfp4 (backend/cuda/linear.cuh).
#include "microscale/backend/cuda/linear.cuh"

MICROSCALE_CUDA_INSTANTIATE_FORMAT(microscale::format::nvfp4)
