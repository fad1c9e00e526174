// The few CUDA runtime services the cuda backend's host code uses, behind plain C++ declarations
// (defined in instantiations/cuda/runtime.cu): a program that includes backend/cuda.hpp needs no
// CUDA headers, and one built without CUDA never calls these.
#pragma once

#include <cstddef>
#include <string>

namespace microscale::backend::cuda_runtime {

/// CUDA devices this process can use; 0 when there is no driver or no device.
int device_count() noexcept;
/// Why there is no device (the runtime's message), or "" when there is one.
std::string no_device_reason();
/// "NVIDIA H200 (sm_90, 132 multiprocessors)"
std::string device_description(int device);
int multiprocessors(int device);
/// major · 10 + minor (90 for Hopper).
int compute_capability(int device);
/// Shared memory one block may opt in to (cudaDevAttrMaxSharedMemoryPerBlockOptin), bytes.
int max_shared_per_block(int device);
int current_device();

/// The CUDA device whose memory `p` points into, or -1 for host memory (pageable or pinned).
int pointer_device(const void* p);

/// Makes `device` current for its lifetime.
class device_guard {
public:
    explicit device_guard(int device);
    ~device_guard();
    device_guard(const device_guard&) = delete;
    device_guard& operator=(const device_guard&) = delete;

private:
    int previous_ = -1;
};

/// Device memory, owned; grow-only through reserve().
class device_buffer {
public:
    device_buffer() = default;
    ~device_buffer();
    device_buffer(device_buffer&& other) noexcept;
    device_buffer& operator=(device_buffer&& other) noexcept;
    device_buffer(const device_buffer&) = delete;
    device_buffer& operator=(const device_buffer&) = delete;

    /// At least `bytes` on `device` (the current one); reallocates only to grow or to move device.
    void* reserve(std::size_t bytes, int device);
    void* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return bytes_; }
    int device() const noexcept { return device_; }

private:
    void* data_ = nullptr;
    std::size_t bytes_ = 0;
    int device_ = -1;
};

/// cudaMemcpyAsync(kind default) on `stream`; copies between any host and device memory.
void copy(void* dst, const void* src, std::size_t bytes, void* stream);
/// cudaMemcpy2DAsync: `rows` rows of `row_bytes`, at pitches `dst_pitch` / `src_pitch` bytes.
void copy_rows(void* dst, std::size_t dst_pitch, const void* src, std::size_t src_pitch, std::size_t row_bytes, std::size_t rows, void* stream);
void synchronize(void* stream);
/// Throws std::runtime_error naming `what` if the last launch failed.
void check_launch(const char* what);

}  // namespace microscale::backend::cuda_runtime
