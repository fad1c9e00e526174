// The GPU benchmark's probe that needs device code: a plain grid-stride copy kernel with 16-byte
// loads and stores, the independent cross-check of cudaMemcpy's device-to-device bandwidth.
#include <cuda_runtime.h>

#include <cstddef>

namespace microscale::bench_gpu {

namespace {
__global__ void copy16(const uint4* __restrict__ in, uint4* __restrict__ out, std::size_t n) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
        out[i] = in[i];
}
}  // namespace

/// Enqueues one copy of `bytes` (a multiple of 16) from `in` to `out`.
void plain_copy(const void* in, void* out, std::size_t bytes, int multiprocessors, cudaStream_t stream) {
    copy16<<<static_cast<unsigned>(multiprocessors * 8), 512, 0, stream>>>(static_cast<const uint4*>(in), static_cast<uint4*>(out), bytes / 16);
}

}  // namespace microscale::bench_gpu
