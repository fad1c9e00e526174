// Backend `cuda`: NVIDIA GPUs (sm_80 and later; built for sm_90a and sm_80) through bf16 tensor-core
// MMA, the weights kept packed on the device (backend/cuda/linear.cuh says how a call runs).
//
// prepare() validates the weight, turns its scales from the stored layout (linear or
// swizzled_128x4) to linear on the host, and uploads codes and scales once to the current device:
// 4.5 bits per NVFP4 weight. apply() takes views of host or device memory (a view's `device`):
//   device memory  everything is enqueued on options.stream and apply() returns at once, except
//                  for the value check of x and bias (a scan and a synchronisation; turn it off
//                  with options.device_value_check = false, and non-finite inputs then give
//                  non-finite outputs instead of an error);
//   host memory    x and bias are copied in and y out through per-thread scratch on the device, and
//                  apply() returns when y is written (the convenience path the typed tests use).
// Scratch device memory (activation codes, partial sums) is per host thread and grow-only: calls
// from one thread on several streams must not overlap.
//
// Numerics: the products are exact (dequantized elements are exact in bf16; f16 and f32 x are
// split into 2 or 3 bf16 terms that add up to x exactly); the sums are fp32 in the tensor cores'
// order, which truncates inside each MMA (Fasi et al., "Numerical behavior of NVIDIA tensor
// cores", 2021), so the bound it is held to uses twice fp32's unit roundoff over the additions of
// its path (K per bf16 term of x: 1 for bf16, 2 for f16, 3 for f32; plus the ranges' sums). Results
// are bitwise independent of M, of the other rows and of
// the stream; they differ from the CPU backends within that bound (DESIGN.md §4).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/backend/cuda/launch.hpp"
#include "microscale/backend/cuda/runtime.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/kernel.hpp"
#include "microscale/layout/layouts.hpp"

namespace microscale::backend {

struct cuda {
    static constexpr std::string_view name = "cuda";
    /// x, y and bias may be device memory (kernel.hpp asks before it reads anything).
    static constexpr bool reads_device_memory = true;
    /// The fp32 accumulation of the tensor cores (see the header comment): its unit roundoff, and
    /// the most additions one output goes through (3 terms for f32 x, plus the sums of K's ranges).
    static constexpr double accumulation_unit_roundoff = 0x1p-23;
    /// bf16 x: one term per k; f16 two, f32 three (the exact split); plus the ranges' sums.
    static constexpr std::int64_t accumulation_additions(std::int64_t k, dtype x) noexcept {
        return (x == dtype::bf16 ? 1 : x == dtype::f16 ? 2 : 3) * k + (k + 127) / 128 + 1;
    }

    static support is_supported() {
        if (cuda_runtime::device_count() == 0) return support::no(cuda_runtime::no_device_reason());
        const int device = cuda_runtime::current_device();
        const int cc = cuda_runtime::compute_capability(device);
        if (cc < 80)
            return support::no(detail::cat("CUDA device ", device, " is sm_", cc, "; the cuda kernels need sm_80 or newer (bf16 mma.sync, cp.async)"));
        return support::yes(detail::cat("CUDA device ", device, ": ", cuda_runtime::device_description(device)));
    }
    /// Every format and activation; the scales are linearised at prepare().
    template <class Format, class Activation, class Layout>
    static constexpr bool supports = std::same_as<Layout, layout::stored>;

    /// NaN / inf in x or bias: read on the host for host memory, scanned on the device otherwise.
    static void check_values(std::string_view kernel, const const_matrix_view& x, const const_vector_view* bias, const apply_options& options);

    template <class Format, class Activation, class Layout>
    struct impl;
};

namespace cuda_detail {

/// Where a view's memory is: its `device`, checked against the pointer (a wrong claim is an error,
/// never a read of the wrong memory).
inline int checked_device(std::string_view kernel, const char* what, const void* data, int claimed) {
    if (data == nullptr) return claimed;
    const int actual = cuda_runtime::pointer_device(data);
    if (actual != claimed)
        detail::argument_error(kernel, detail::cat(what, " is said to be in ", claimed < 0 ? std::string("host memory") : detail::cat("CUDA device ", claimed, " memory"),
                                                   " but is in ", actual < 0 ? std::string("host memory") : detail::cat("CUDA device ", actual, " memory")));
    return actual;
}

}  // namespace cuda_detail

inline void cuda::check_values(std::string_view kernel, const const_matrix_view& x, const const_vector_view* bias, const apply_options& options) {
    const int x_device = cuda_detail::checked_device(kernel, "x", x.data, x.device);
    const int bias_device = bias != nullptr ? cuda_detail::checked_device(kernel, "bias", bias->data, bias->device) : -1;
    if (x_device < 0) {
        detail::check_values_on_host(kernel, x, nullptr);
    } else if (options.device_value_check) {
        cuda_runtime::device_guard on(x_device);
        const std::int64_t bad = cuda_detail::first_non_finite(x.data, x.type, x.rows, x.cols, x.stride(), options.stream);
        if (bad >= 0) detail::argument_error(kernel, detail::cat("x[", bad / x.cols, ", ", bad % x.cols, "] is not finite (NaN or infinite)"));
    }
    if (bias == nullptr) return;
    if (bias_device < 0) {
        detail::check_values_on_host(kernel, {}, bias);
    } else if (options.device_value_check) {
        cuda_runtime::device_guard on(bias_device);
        if (cuda_detail::first_non_finite(bias->data, bias->type, 1, bias->size, bias->size, options.stream) >= 0)
            detail::argument_error(kernel, "bias has a non-finite element");
    }
}

template <class Format, class Activation, class Layout>
struct cuda::impl {
    using rules = format::block_rules<Format>;

    struct prepared {
        std::int64_t rows = 0, cols = 0;
        int device = 0;
        int multiprocessors = 1;
        int shared_per_block = 0;  ///< the device's opt-in limit (the prefill kernel needs prefill_shared_bytes)
        cuda_runtime::device_buffer codes, scales;  ///< [N, packed_row_bytes(K)], [N, K / block] linear
        float global = 1.0f;
        typename rules::activation_params activation{};
    };

    static support can_implement(const linear_shape& s) {
        if (s.m > (std::int64_t{1} << 21)) return support::no(detail::cat("M=", s.m, " is over the 2^21 rows one call takes"));
        return support::yes();
    }

    static std::size_t memory_bytes(const prepared& p) noexcept { return p.codes.size() + p.scales.size() + sizeof(prepared); }

    static prepared prepare(const quantized_weight& w) {
        prepared p;
        p.rows = w.rows;
        p.cols = w.cols;
        p.device = cuda_runtime::current_device();
        p.multiprocessors = cuda_runtime::multiprocessors(p.device);
        p.shared_per_block = cuda_runtime::max_shared_per_block(p.device);
        p.global = w.global_scale;
        if constexpr (Activation::quantized) p.activation = rules::activation_params_from(w.input_scale, w.name);
        const std::vector<std::uint8_t> linear =
            layout::convert_scales(w.scales, w.scale_layout, layout::layout_id::linear, w.rows, format::scale_cols<Format>(w.cols));
        cuda_runtime::copy(p.codes.reserve(w.codes.size(), p.device), w.codes.data(), w.codes.size(), nullptr);
        cuda_runtime::copy(p.scales.reserve(linear.size(), p.device), linear.data(), linear.size(), nullptr);
        cuda_runtime::synchronize(nullptr);
        return p;
    }

    static void apply(const prepared& p, const const_matrix_view& x, const matrix_view& y, const const_vector_view* bias,
                      const apply_options& options) {
        cuda_runtime::device_guard on(p.device);
        const bool on_host = x.device < 0;
        if (x.device >= 0 && x.device != p.device)
            detail::argument_error(kernel_label(), detail::cat("x is on CUDA device ", x.device, " but the weight on ", p.device));
        if (bias != nullptr && bias->device >= 0 && bias->device != p.device)
            detail::argument_error(kernel_label(), detail::cat("bias is on CUDA device ", bias->device, " but the weight on ", p.device));
        if (x.rows > (std::int64_t{1} << 21)) detail::argument_error(kernel_label(), detail::cat("M=", x.rows, " is over the 2^21 rows one call takes"));
        if (x.rows > 16 && static_cast<std::size_t>(p.shared_per_block) < cuda_detail::prefill_shared_bytes<Format>())
            detail::argument_error(kernel_label(), detail::cat("M=", x.rows, " > 16 runs the prefill kernel, which needs ",
                                                              cuda_detail::prefill_shared_bytes<Format>(), " bytes of shared memory per block; CUDA device ",
                                                              p.device, " offers ", p.shared_per_block, " (split the batch into calls of 16 rows)"));
        if (cuda_detail::checked_device(kernel_label(), "y", y.data, y.device) != x.device)
            detail::argument_error(kernel_label(), "x and y must both be host memory or both the weight's device memory");
        const std::size_t x_row = static_cast<std::size_t>(x.cols) * dtype_size(x.type), y_row = static_cast<std::size_t>(y.cols) * dtype_size(y.type);
        void* stream = options.stream;

        thread_local cuda_runtime::device_buffer x_scratch, y_scratch, bias_scratch, workspace;
        cuda_detail::linear_launch L;
        L.codes = static_cast<const std::uint8_t*>(p.codes.data());
        L.scales = static_cast<const std::uint8_t*>(p.scales.data());
        L.n = p.rows;
        L.k = p.cols;
        L.m = x.rows;
        L.x_type = x.type;
        L.multiprocessors = p.multiprocessors;
        L.stream = stream;
        if (on_host) {
            L.x = x_scratch.reserve(x_row * static_cast<std::size_t>(x.rows), p.device);
            cuda_runtime::copy_rows(const_cast<void*>(L.x), x_row, x.data, static_cast<std::size_t>(x.stride()) * dtype_size(x.type), x_row,
                                    static_cast<std::size_t>(x.rows), stream);
            L.x_stride = x.cols;
            L.y = y_scratch.reserve(y_row * static_cast<std::size_t>(y.rows), p.device);
            L.y_stride = y.cols;
        } else {
            L.x = x.data;
            L.x_stride = x.stride();
            L.y = y.data;
            L.y_stride = y.stride();
        }
        if (bias != nullptr) {
            L.bias_type = bias->type;
            if (bias->device < 0) {
                const std::size_t bytes = static_cast<std::size_t>(bias->size) * dtype_size(bias->type);
                L.bias = bias_scratch.reserve(bytes, p.device);
                cuda_runtime::copy(const_cast<void*>(L.bias), bias->data, bytes, stream);
                // the caller may free a (pinned) host bias when apply() returns: the copy is done first
                if (!on_host) cuda_runtime::synchronize(stream);
            } else {
                L.bias = bias->data;
            }
        }
        L.factor = p.global;
        if constexpr (Activation::quantized) {
            L.quantize = true;
            if constexpr (Format::has_global_scale) {
                L.g = p.activation.g;
                L.factor = p.global / p.activation.g;
            } else {
                L.mx_rule = static_cast<int>(p.activation.rule);
            }
        }
        L.workspace = workspace.reserve(cuda_detail::workspace_bytes(L.m, L.n, L.k, L.quantize, L.multiprocessors), p.device);
        cuda_detail::run_linear<Format>(L);
        cuda_runtime::check_launch("the cuda linear kernel");
        if (on_host) {
            cuda_runtime::copy_rows(y.data, static_cast<std::size_t>(y.stride()) * dtype_size(y.type), L.y, y_row, y_row, static_cast<std::size_t>(y.rows),
                                    stream);
            cuda_runtime::synchronize(stream);
        }
    }

private:
    static std::string kernel_label() { return detail::cat(Format::name, Activation::quantized ? " aq" : " a16", " cuda"); }
};

}  // namespace microscale::backend
