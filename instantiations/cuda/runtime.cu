// The cuda backend's runtime services (backend/cuda/runtime.hpp) and the format-independent parts
// of its launches (backend/cuda/launch.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "microscale/backend/cuda/launch.hpp"
#include "microscale/backend/cuda/linear.cuh"
#include "microscale/backend/cuda/runtime.hpp"
#include "microscale/detail/text.hpp"

namespace microscale::backend::cuda_runtime {
namespace {

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw std::runtime_error(detail::cat("CUDA error in ", what, ": ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ")"));
}

}  // namespace

int device_count() noexcept {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return n;
}

std::string no_device_reason() {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return detail::cat("no CUDA device: ", cudaGetErrorString(e));
    }
    return n == 0 ? std::string("no CUDA device") : std::string();
}

std::string device_description(int device) {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
    return detail::cat(p.name, " (sm_", p.major, p.minor, ", ", p.multiProcessorCount, " multiprocessors)");
}

int multiprocessors(int device) {
    int n = 0;
    check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
    return n;
}

int compute_capability(int device) {
    int major = 0, minor = 0;
    check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute");
    check(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device), "cudaDeviceGetAttribute");
    return 10 * major + minor;
}

int max_shared_per_block(int device) {
    int bytes = 0;
    check(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device), "cudaDeviceGetAttribute");
    return bytes;
}

int current_device() {
    int d = 0;
    check(cudaGetDevice(&d), "cudaGetDevice");
    return d;
}

int pointer_device(const void* p) {
    cudaPointerAttributes a{};
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        (void)cudaGetLastError();
        return -1;
    }
    return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged ? a.device : -1;
}

device_guard::device_guard(int device) {
    previous_ = current_device();
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
}

device_guard::~device_guard() {
    int now = -1;
    if (cudaGetDevice(&now) == cudaSuccess && now != previous_) (void)cudaSetDevice(previous_);
}

device_buffer::~device_buffer() {
    if (data_ != nullptr) (void)cudaFree(data_);
}

device_buffer::device_buffer(device_buffer&& other) noexcept : data_(other.data_), bytes_(other.bytes_), device_(other.device_) {
    other.data_ = nullptr;
    other.bytes_ = 0;
    other.device_ = -1;
}

device_buffer& device_buffer::operator=(device_buffer&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) (void)cudaFree(data_);
        data_ = other.data_;
        bytes_ = other.bytes_;
        device_ = other.device_;
        other.data_ = nullptr;
        other.bytes_ = 0;
        other.device_ = -1;
    }
    return *this;
}

void* device_buffer::reserve(std::size_t bytes, int device) {
    if (data_ != nullptr && bytes <= bytes_ && device == device_) return data_;
    if (data_ != nullptr) {
        check(cudaFree(data_), "cudaFree");
        data_ = nullptr;
        bytes_ = 0;
    }
    const std::size_t want = std::max<std::size_t>(bytes, 256);
    const cudaError_t e = cudaMalloc(&data_, want);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        data_ = nullptr;
        throw std::runtime_error(detail::cat("cannot allocate ", want, " bytes on CUDA device ", device, ": ", cudaGetErrorString(e)));
    }
    bytes_ = want;
    device_ = device;
    return data_;
}

void copy(void* dst, const void* src, std::size_t bytes, void* stream) {
    if (bytes == 0) return;
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, static_cast<cudaStream_t>(stream)), "cudaMemcpyAsync");
}

void copy_rows(void* dst, std::size_t dst_pitch, const void* src, std::size_t src_pitch, std::size_t row_bytes, std::size_t rows, void* stream) {
    if (rows == 0 || row_bytes == 0) return;
    check(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, rows, cudaMemcpyDefault, static_cast<cudaStream_t>(stream)),
          "cudaMemcpy2DAsync");
}

void synchronize(void* stream) { check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize"); }

void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace microscale::backend::cuda_runtime

namespace microscale::backend::cuda_detail {

std::int64_t split_count(std::int64_t n, std::int64_t k, int multiprocessors) noexcept {
    // as many ranges as fill one wave of the decode kernel's resident blocks (a partial second wave
    // would be a tail), at least one, never more ranges than chunks
    const std::int64_t chunks = (k + chunk_k - 1) / chunk_k;
    const std::int64_t blocks_n = (n + block_columns - 1) / block_columns;
    const std::int64_t want = blocks_per_multiprocessor * static_cast<std::int64_t>(std::max(multiprocessors, 1)) / blocks_n;
    return std::clamp<std::int64_t>(want, 1, std::max<std::int64_t>(chunks, 1));
}

std::size_t workspace_bytes(std::int64_t m, std::int64_t n, std::int64_t k, bool quantize, int multiprocessors) noexcept {
    auto round_up = [](std::size_t b) { return (b + 255) / 256 * 256; };
    std::size_t bytes = quantize ? round_up(static_cast<std::size_t>(m * k) * 2) : 0;
    const std::int64_t ranges = split_count(n, k, multiprocessors);
    if (m <= max_grid_split_m && ranges > 1) bytes += round_up(static_cast<std::size_t>(ranges * m * n) * sizeof(float));
    return bytes;
}

namespace {
__global__ void find_non_finite(const void* data, dtype type, std::int64_t rows, std::int64_t cols, std::int64_t stride,
                                unsigned long long* first) {
    const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= rows * cols) return;
    const std::int64_t r = i / cols, c = i % cols;
    const void* row = static_cast<const char*>(data) + static_cast<std::size_t>(r * stride) * dtype_size(type);
    if (!isfinite(load_element(row, type, c))) atomicMin(first, static_cast<unsigned long long>(i));
}
}  // namespace

std::int64_t first_non_finite(const void* data, dtype type, std::int64_t rows, std::int64_t cols, std::int64_t stride, void* stream) {
    if (rows <= 0 || cols <= 0) return -1;
    thread_local cuda_runtime::device_buffer flag;
    const int device = cuda_runtime::current_device();
    auto* first = static_cast<unsigned long long*>(flag.reserve(sizeof(unsigned long long), device));
    const unsigned long long none = ~0ull;
    unsigned long long got = none;
    const auto s = static_cast<cudaStream_t>(stream);
    cuda_runtime::copy(first, &none, sizeof none, stream);
    const std::int64_t threads = rows * cols;
    find_non_finite<<<static_cast<unsigned>((threads + 255) / 256), 256, 0, s>>>(data, type, rows, cols, stride, first);
    cuda_runtime::check_launch("the value check of x");
    cuda_runtime::copy(&got, first, sizeof got, stream);
    cuda_runtime::synchronize(stream);
    return got == none ? -1 : static_cast<std::int64_t>(got);
}

}  // namespace microscale::backend::cuda_detail
