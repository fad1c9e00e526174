// Backend `emulation`: the exact reference, forever.
//
// What vLLM's emulation kernels do, in fp32: dequantize the weight (every call, as vLLM does),
// quantize-dequantize the activations for `aq`, multiply with Eigen, add the bias, round once to
// the activation dtype:
//   w[n, k]  = element(q[n, k]) * factor(s[n, k / block])       factor: nvfp4 fp32(s8 * G), MX 2^E
//   x'[m, k] = x[m, k]                                           a16
//            = element(qx[m, k]) * factor(sx[m, k / block])      aq (codes and scales bit-exact with
//                                                                 vLLM / Quark; x' kept in fp32)
//   y[m, n]  = dtype( sum_k x'[m, k] * w[n, k]  (+ bias[n]) )   fp32 accumulation
// x' stays fp32 inside the GEMM, as block-scaled hardware computes it; vLLM additionally rounds x'
// (and w) to the activation dtype before its matmul. `microscale qdq` writes x' rounded to the
// activation dtype, bit-exact with vLLM's x_dq.
//
// The weight's scales stay in the layout they are stored in (linear or swizzled_128x4, runtime data:
// the kernel's layout slot is layout::stored) and are read through that layout's offsets.
//
// Batch and thread invariance: W is processed in fixed chunks of 64 rows; each (row m, chunk) is
// one Eigen GEMV on 64-byte-aligned buffers whose shapes depend only on N and K. Which thread runs
// a chunk, and how many rows x has, cannot change a result bit.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "microscale/detail/aligned_buffer.hpp"
#include "microscale/detail/threads.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/kernel.hpp"
#include "microscale/numeric/packing.hpp"

namespace microscale::backend {

struct emulation {
    static constexpr std::string_view name = "emulation";
    static support is_supported() { return support::yes("the fp32 reference runs on every CPU"); }
    /// Any format and activation; the scale layout is the weight's, read at run time.
    template <class Format, class Activation, class Layout>
    static constexpr bool supports = std::same_as<Layout, layout::stored>;
    template <class Format, class Activation, class Layout>
    struct impl;
};

namespace emulation_detail {

inline constexpr std::int64_t chunk_rows = 64;

/// y[m, n] = dtype(sum_k xq[m, k] * w[n, k] (+ bias[n])): W in fixed chunks of 64 rows, each
/// (row m, chunk) one Eigen GEMV on 64-byte aligned buffers whose shapes depend only on N and K,
/// so no result bit depends on M or on which thread ran the chunk. `fill(n0, n1, out)` writes
/// rows [n0, n1) of W in fp32 at `stride` floats apart. xq: [m][stride] fp32, 64-byte aligned rows.
template <class Fill>
void multiply(const float* xq, std::int64_t m_rows, std::size_t stride, std::int64_t n, std::int64_t k, const const_vector_view* bias,
              const matrix_view& y, int threads, Fill fill) {
    using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const std::int64_t chunks = (n + chunk_rows - 1) / chunk_rows;
    detail::parallel_rows(chunks, m_rows * chunk_rows * k, threads, [&](std::int64_t c) {
        const std::int64_t n0 = c * chunk_rows;
        const std::int64_t n1 = std::min(n, n0 + chunk_rows);
        const std::int64_t rows = n1 - n0;
        thread_local detail::aligned_buffer<float> w_buffer, y_buffer;
        float* w = w_buffer.reserve(static_cast<std::size_t>(chunk_rows) * stride);
        float* out = y_buffer.reserve(static_cast<std::size_t>(chunk_rows));
        fill(n0, n1, w);
        const Eigen::Map<const row_matrix, Eigen::Aligned64, Eigen::OuterStride<>> w_chunk(w, rows, k,
                                                                                           Eigen::OuterStride<>(static_cast<Eigen::Index>(stride)));
        Eigen::Map<Eigen::VectorXf, Eigen::Aligned64> y_chunk(out, rows);
        for (std::int64_t m = 0; m < m_rows; ++m) {
            const Eigen::Map<const Eigen::VectorXf, Eigen::Aligned64> x_row(xq + static_cast<std::size_t>(m) * stride, k);
            y_chunk.noalias() = w_chunk * x_row;
            void* y_row = y.row(m);
            for (std::int64_t r = 0; r < rows; ++r) {
                float v = out[r];
                if (bias != nullptr) v += load_element(bias->data, bias->type, n0 + r);
                store_element(y_row, y.type, n0 + r, v);
            }
        }
    });
}

}  // namespace emulation_detail

template <class Format, class Activation, class Layout>
struct emulation::impl {
    using rules = format::block_rules<Format>;

    struct prepared {
        std::int64_t rows = 0;             ///< N
        std::int64_t cols = 0;             ///< K
        std::vector<std::uint8_t> codes;   ///< [N, packed_row_bytes(K)]
        std::vector<std::uint8_t> scales;  ///< logical [N, K / block], stored in `scale_layout`
        layout::layout_id scale_layout = layout::layout_id::linear;
        float global = 1.0f;                             ///< nvfp4 G; 1 for MX
        typename rules::activation_params activation{};  ///< aq only
    };

    static support can_implement(const linear_shape&) { return support::yes(); }

    static std::size_t memory_bytes(const prepared& p) noexcept { return p.codes.size() + p.scales.size() + sizeof(prepared); }

    static prepared prepare(const quantized_weight& w) {
        prepared p{.rows = w.rows, .cols = w.cols, .codes = w.codes, .scales = w.scales, .scale_layout = w.scale_layout, .global = w.global_scale};
        if constexpr (Activation::quantized) {
            p.activation = rules::activation_params_from(w.input_scale, w.name);
        }
        return p;
    }

    /// Dequantizes weight rows [n0, n1) to fp32: out[(n - n0) * stride + k].
    static void dequantize_rows(const prepared& p, std::int64_t n0, std::int64_t n1, float* out, std::size_t stride) {
        layout::visit_layout(p.scale_layout, [&](auto stored_in) { dequantize_rows_in<decltype(stored_in)>(p, n0, n1, out, stride); });
    }

    /// dequantize_rows with the scales read in layout L.
    template <layout::scale_layout L>
    static void dequantize_rows_in(const prepared& p, std::int64_t n0, std::int64_t n1, float* out, std::size_t stride) {
        const std::int64_t k = p.cols, blocks = format::scale_cols<Format>(k);
        const std::int64_t row_bytes = format::packed_row_bytes<Format>(k);
        thread_local detail::aligned_buffer<std::uint8_t> codes_buffer;
        std::uint8_t* codes = codes_buffer.reserve(static_cast<std::size_t>(k));
        for (std::int64_t n = n0; n < n1; ++n) {
            numeric::unpack<typename Format::element>(
                std::span<const std::uint8_t>(p.codes.data() + n * row_bytes, static_cast<std::size_t>(row_bytes)),
                std::span<std::uint8_t>(codes, static_cast<std::size_t>(k)));
            float* row = out + static_cast<std::size_t>(n - n0) * stride;
            for (std::int64_t b = 0; b < blocks; ++b) {
                const float factor = rules::weight_factor(p.scales[static_cast<std::size_t>(L::offset(n, b, blocks))], p.global);
                for (int i = 0; i < Format::block_size; ++i) {
                    const std::int64_t j = b * Format::block_size + i;
                    row[j] = Format::element::decode(codes[j]) * factor;
                }
            }
        }
    }

    static void apply(const prepared& p, const const_matrix_view& x, const matrix_view& y, const const_vector_view* bias,
                      const apply_options& options) {
        const std::int64_t m_rows = x.rows, n = p.rows, k = p.cols;
        const std::size_t stride = detail::padded_row<float>(static_cast<std::size_t>(k));

        // x' [M, K] in fp32, each row 64-byte aligned.
        thread_local detail::aligned_buffer<float> x_buffer;
        thread_local detail::aligned_buffer<std::uint8_t> code_buffer, scale_buffer;
        thread_local std::vector<float> row_in;
        float* xq = x_buffer.reserve(static_cast<std::size_t>(m_rows) * stride);
        if constexpr (Activation::quantized) {
            row_in.resize(static_cast<std::size_t>(k));
            std::uint8_t* codes = code_buffer.reserve(static_cast<std::size_t>(k));
            std::uint8_t* scales = scale_buffer.reserve(static_cast<std::size_t>(format::scale_cols<Format>(k)));
            for (std::int64_t m = 0; m < m_rows; ++m) {
                for (std::int64_t j = 0; j < k; ++j) row_in[static_cast<std::size_t>(j)] = load_element(x.row(m), x.type, j);
                format::qdq_row<Format>(row_in.data(), k, p.activation, codes, scales, xq + static_cast<std::size_t>(m) * stride);
            }
        } else {
            for (std::int64_t m = 0; m < m_rows; ++m)
                for (std::int64_t j = 0; j < k; ++j)
                    xq[static_cast<std::size_t>(m) * stride + static_cast<std::size_t>(j)] = load_element(x.row(m), x.type, j);
        }

        emulation_detail::multiply(xq, m_rows, stride, n, k, bias, y, detail::thread_count(options.threads),
                                   [&](std::int64_t n0, std::int64_t n1, float* w) { dequantize_rows(p, n0, n1, w, stride); });
    }
};

}  // namespace microscale::backend
