// Unquantized linear layers (excluded modules, LM heads stored in floating point): y = x · Wᵀ with
// W kept in fp32 and multiplied with the emulation backend's batch-invariant chunked GEMV.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "microscale/backend/emulation.hpp"
#include "microscale/registry.hpp"

namespace microscale::backend {

class dense_layer final : public linear_layer {
public:
    /// w: [n, k] fp32 row-major (widened exactly from the checkpoint's bf16 / fp16 / fp32).
    dense_layer(const std::vector<float>& w, std::int64_t n, std::int64_t k)
        : n_(n), k_(k), stride_(detail::padded_row<float>(static_cast<std::size_t>(k))) {
        if (n <= 0 || k <= 0 || static_cast<std::int64_t>(w.size()) != n * k)
            throw std::invalid_argument(detail::cat("dense layer: ", w.size(), " values for [", n, ", ", k, "]"));
        float* data = weights_.reserve(static_cast<std::size_t>(n) * stride_);
        for (std::int64_t r = 0; r < n; ++r)
            std::memcpy(data + static_cast<std::size_t>(r) * stride_, w.data() + r * k, static_cast<std::size_t>(k) * 4);
    }
    std::string_view kernel_name() const noexcept override { return "dense_fp32"; }
    std::int64_t out_features() const noexcept override { return n_; }
    std::int64_t in_features() const noexcept override { return k_; }
    std::size_t memory_bytes() const noexcept override { return weights_.capacity() * sizeof(float); }

    void apply(const_matrix_view x, matrix_view y, const const_vector_view* bias, const apply_options& options) const override {
        detail::check_apply_arguments("dense_fp32", n_, k_, x, y, bias);
        detail::check_thread_option(options.threads, "dense_fp32");
        if (x.rows == 0) return;
        thread_local detail::aligned_buffer<float> x_buffer;
        float* xf = x_buffer.reserve(static_cast<std::size_t>(x.rows) * stride_);
        for (std::int64_t m = 0; m < x.rows; ++m)
            for (std::int64_t j = 0; j < k_; ++j)
                xf[static_cast<std::size_t>(m) * stride_ + static_cast<std::size_t>(j)] = load_element(x.row(m), x.type, j);
        const float* w = weights_.data();
        const std::size_t stride = stride_;
        emulation_detail::multiply(xf, x.rows, stride, n_, k_, bias, y, detail::thread_count(options.threads),
                                   [&](std::int64_t n0, std::int64_t n1, float* out) {
                                       std::memcpy(out, w + static_cast<std::size_t>(n0) * stride, static_cast<std::size_t>(n1 - n0) * stride * 4);
                                   });
    }

private:
    std::int64_t n_, k_;
    std::size_t stride_;
    detail::aligned_buffer<float> weights_;
};

}  // namespace microscale::backend
