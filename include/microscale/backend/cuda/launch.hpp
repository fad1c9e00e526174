// The seam between the cuda backend's host code (backend/cuda.hpp, built by the C++ compiler) and
// its device code (backend/cuda/linear.cuh, built by nvcc in instantiations/cuda/<format>.cu):
// plain data and a few functions per format. Nothing here needs the CUDA toolkit's headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "microscale/tensor.hpp"

namespace microscale::backend::cuda_detail {

/// One call y[M, N] = x[M, K] · Wᵀ (+ bias) on the device. Every pointer is device memory.
struct linear_launch {
    const std::uint8_t* codes = nullptr;   ///< [N, packed_row_bytes(K)] packed element codes
    const std::uint8_t* scales = nullptr;  ///< [N, K / block] scale codes, linear layout
    std::int64_t n = 0, k = 0;
    /// The fp32 sum over k of (element · block scale) products is multiplied by it: nvfp4 a16 G,
    /// nvfp4 aq G / g, MX 1.
    float factor = 1.0f;
    const void* x = nullptr;
    dtype x_type = dtype::bf16;
    std::int64_t m = 0, x_stride = 0;  ///< x_stride, y_stride: in elements
    void* y = nullptr;                 ///< the dtype of x
    std::int64_t y_stride = 0;
    const void* bias = nullptr;  ///< [N] or null
    dtype bias_type = dtype::f32;
    bool quantize = false;  ///< aq: quantize-dequantize x with the format's activation rule first
    float g = 1.0f;         ///< nvfp4 aq: vLLM's multiplier 1 / input_scale
    int mx_rule = 0;        ///< MX aq: format::mx_scale_rule
    void* workspace = nullptr;  ///< workspace_bytes(...) bytes, 256-byte aligned
    int multiprocessors = 1;    ///< of the device: fixes the split of K (see split_count)
    void* stream = nullptr;     ///< cudaStream_t; null: the legacy default stream
};

/// K is cut into `split_count` contiguous ranges of 128-wide chunks, each summed on its own and the
/// partial sums added in order. The count depends on N, K and the device only, never on M: a
/// row's result is the same whatever batch it arrives in.
std::int64_t split_count(std::int64_t n, std::int64_t k, int multiprocessors) noexcept;

/// Scratch device memory run_linear<Format> needs for this problem.
std::size_t workspace_bytes(std::int64_t m, std::int64_t n, std::int64_t k, bool quantize, int multiprocessors) noexcept;

/// Enqueues the call on L.stream (defined per format in instantiations/cuda/<format>.cu).
template <class Format>
void run_linear(const linear_launch& L);

/// Shared memory per block the prefill kernel (M > 16) of this format needs (devices with less
/// per-block opt-in shared memory run the decode kernel only).
template <class Format>
std::size_t prefill_shared_bytes();

/// aq's first step alone: out[M, K] (bf16, device) = element(qx) · scale(sx), x quantized by the
/// format's activation rule (L.x, L.g, L.mx_rule), enqueued on L.stream. Tests compare its codes
/// and scales with the CPU's.
template <class Format>
void quantize_activations_to_bf16(const linear_launch& L, void* out);

/// out[N, K] (bf16, device) = element(q) · block scale · global, the dequantized weight rounded to
/// bf16 as an emulating engine builds it every call (the benchmark's emulation peer).
template <class Format>
void dequantize_to_bf16(const std::uint8_t* codes, const std::uint8_t* scales, std::int64_t n, std::int64_t k, float global, void* out,
                        void* stream);

/// The first non-finite element of a device matrix (row-major, `stride` elements apart) as
/// row * cols + col, or -1; synchronises `stream`.
std::int64_t first_non_finite(const void* data, dtype type, std::int64_t rows, std::int64_t cols, std::int64_t stride, void* stream);

}  // namespace microscale::backend::cuda_detail
