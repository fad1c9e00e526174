// Backend `simd`: fast CPU kernels on the simd tiers (backend/simd/isa.hpp), chosen at run time.
//
// prepare() (baseline code) repacks the weight, its scales stored in any layout (the kernel's layout
// slot is layout::stored), once into the tiers' shared layout
// (backend/simd/packed.hpp: 16-row groups, quads of 4 k, pre-decoded block factors) and picks the
// best tier this CPU runs (or MICROSCALE_SIMD_ISA). apply():
//   a16  x is widened to fp32 (exact) and multiplied with fp32 FMAs against the decoded elements,
//        one block at a time, each block sum scaled by the block's factor;
//   aq   every row of x is quantized once, with the emulation backend's own block rules (codes
//        and scales bit-identical), into integers for the int8 / int16 dot and per-block factors;
// then the tier's GEMM writes fp32 [M, N] and the bias is added and the result rounded to the
// activation dtype. No allocation after warm-up: scratch buffers are per thread and grow-only.
//
// The tiers' code is compiled into microscale::kernels (instantiations/simd/<tier>.cpp); a
// header-only build uses the emulation backend.
#pragma once

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "microscale/backend/simd/isa.hpp"
#include "microscale/backend/simd/packed.hpp"
#include "microscale/detail/threads.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/kernel.hpp"

namespace microscale::backend {

struct simd {
    static constexpr std::string_view name = "simd";
    static support is_supported() {
        const auto choice = simd_isa::choose_isa();
        return choice.ok ? support::yes(choice.reason) : support::no(choice.reason);
    }
    /// The tiers decode 4- and 6-bit elements only. The scale layout is the weight's (runtime data):
    /// prepare() repacks any stored layout into the tiers' own.
    template <class Format, class Activation, class Layout>
    static constexpr bool supports = (Format::element::bits == 4 || Format::element::bits == 6) && std::same_as<Layout, layout::stored>;
    template <class Format, class Activation, class Layout>
    struct impl;
};

template <class Format, class Activation, class Layout>
struct simd::impl {
    using rules = format::block_rules<Format>;
    using element = typename Format::element;

    struct prepared {
        std::int64_t rows = 0, cols = 0;
        simd_isa::packed_weights weights;
        simd_isa::isa isa = simd_isa::isa::generic;  ///< the tier apply() runs
        typename rules::activation_params activation{};
    };

    static support can_implement(const linear_shape& s) {
        if (s.k % simd_isa::quad_k != 0) return support::no(detail::cat("K=", s.k, " is not a multiple of 4"));
        return support::yes();
    }

    static std::size_t memory_bytes(const prepared& p) noexcept {
        return p.weights.codes.capacity() + p.weights.factors.capacity() * sizeof(float) + p.weights.corrections.capacity() * sizeof(std::int32_t) +
               sizeof(prepared);
    }

    static prepared prepare(const quantized_weight& w) {
        const auto choice = simd_isa::choose_isa();
        if (!choice.ok) throw std::runtime_error(detail::cat("simd backend: ", choice.reason));
        prepared p;
        p.rows = w.rows;
        p.cols = w.cols;
        p.isa = choice.chosen;
        p.weights = simd_isa::pack_weights<Format, Activation>(w);
        if constexpr (Activation::quantized) p.activation = rules::activation_params_from(w.input_scale, w.name);
        return p;
    }

    /// Row stride (floats) of widened activations: padded so rows do not start 4 KiB apart.
    static std::int64_t widened_stride(std::int64_t k) noexcept { return k + 16; }

    /// x rows widened to fp32 (exact), [m][widened_stride(k)].
    static void widen_rows(const const_matrix_view& x, float* out, int threads) {
        const std::int64_t k = x.cols, stride = widened_stride(k);
        detail::parallel_rows(x.rows, k, threads, [&](std::int64_t r) {
            const void* in = x.row(r);
            float* row = out + r * stride;
            switch (x.type) {
                case dtype::f32:
                    std::memcpy(row, in, static_cast<std::size_t>(k) * sizeof(float));
                    break;
                case dtype::bf16:
                    for (std::int64_t i = 0; i < k; ++i)
                        row[i] = std::bit_cast<float>(static_cast<std::uint32_t>(static_cast<const std::uint16_t*>(in)[i]) << 16);
                    break;
                case dtype::f16:
                    for (std::int64_t i = 0; i < k; ++i) row[i] = numeric::fp16::decode(static_cast<const std::uint16_t*>(in)[i]);
                    break;
            }
        });
    }

    /// The scalar reference quantization (tiers without a vector quantizer): integers and factors.
    static void quantize_rows(const const_matrix_view& x, const typename rules::activation_params& params, std::byte* xq, std::int64_t row_bytes,
                              bool bytes, float* xf, int threads) {
        using namespace simd_isa;
        static constexpr decode_tables<element> tables{};
        const std::int64_t k = x.cols, blocks = k / Format::block_size;
        detail::parallel_rows(x.rows, k, threads, [&](std::int64_t r) {
            thread_local detail::aligned_buffer<float> row_buffer;
            thread_local detail::aligned_buffer<std::uint8_t> code_buffer;
            float* row = row_buffer.reserve(static_cast<std::size_t>(k));
            std::uint8_t* codes = code_buffer.reserve(static_cast<std::size_t>(k));
            const void* in = x.row(r);
            for (std::int64_t i = 0; i < k; ++i) row[i] = load_element(in, x.type, i);
            for (std::int64_t b = 0; b < blocks; ++b) {
                const std::uint8_t s = rules::quantize_activation_block(row + b * Format::block_size, params, codes + b * Format::block_size);
                xf[r * blocks + b] = rules::activation_factor(s, params);
            }
            std::byte* out = xq + r * row_bytes;
            for (std::int64_t i = 0; i < k; ++i) {
                const std::int16_t v = tables.integer[codes[i]];
                if (bytes) {
                    out[i] = static_cast<std::byte>(v + int8_activation_offset);
                } else {
                    std::memcpy(out + 2 * i, &v, 2);
                }
            }
        });
    }

    /// The GEMM call for the prepared weight; apply() fills in the activations, the output and the scratch.
    static simd_isa::gemm_call weight_call(const prepared& p, int threads) noexcept {
        const simd_isa::packed_weights& w = p.weights;
        simd_isa::gemm_call c{};
        c.isa_tag = p.isa;
        c.element = w.element;
        c.compute = w.compute;
        c.n = w.n;
        c.k = w.k;
        c.block = w.block;
        c.row_groups = w.row_groups;
        c.quads = w.quads;
        c.blocks = w.blocks;
        c.codes = w.codes.data();
        c.factors = w.factors.data();
        c.corrections = w.corrections.data();
        c.threads = threads;
        return c;
    }

    /// aq: quantizes each row of x once, into the integers of the dot (c.x) and a factor per block
    /// (c.x_factors), with the tier's vector quantizer when it has one, else the scalar rules.
    static void quantize_activations(const prepared& p, const simd_isa::isa_kernels& kernels, const const_matrix_view& x, simd_isa::gemm_call& c) {
        using namespace simd_isa;
        thread_local detail::aligned_buffer<std::byte> x_buffer;
        thread_local detail::aligned_buffer<float> x_float_buffer, x_factor_buffer;
        const std::int64_t m = x.rows, k = c.k;
        const bool bytes = c.element == element_kind::e2m1;
        // rows padded by 64 bytes: row starts 4 KiB apart would all map to the same L1 sets
        const std::int64_t row_bytes = (bytes ? k : 2 * k) + 64;
        std::byte* xq = x_buffer.reserve(static_cast<std::size_t>(m * row_bytes));
        float* xf = x_factor_buffer.reserve(static_cast<std::size_t>(m * c.blocks));
        if (kernels.quantize != nullptr) {
            float* xs = x_float_buffer.reserve(static_cast<std::size_t>(m * widened_stride(k)));
            widen_rows(x, xs, c.threads);
            quantize_call q{};
            q.element = c.element;
            q.nvfp4 = Format::has_global_scale;
            if constexpr (Format::has_global_scale)
                q.g = p.activation.g;
            else
                q.floor_rule = p.activation.rule == format::mx_scale_rule::floor;
            q.m = m;
            q.k = k;
            q.block = c.block;
            q.blocks = c.blocks;
            q.x = xs;
            q.x_stride = widened_stride(k);
            q.out = xq;
            q.out_row_bytes = row_bytes;
            q.factors = xf;
            q.threads = c.threads;
            kernels.quantize(q);
        } else {
            quantize_rows(x, p.activation, xq, row_bytes, bytes, xf, c.threads);
        }
        c.x = xq;
        c.x_row_bytes = row_bytes;
        c.x_factors = xf;
    }

    /// a16: x as fp32 rows (bf16 and fp16 widen exactly) into c.x.
    static void widen_activations(const const_matrix_view& x, simd_isa::gemm_call& c) {
        thread_local detail::aligned_buffer<float> x_float_buffer;
        float* xs = x_float_buffer.reserve(static_cast<std::size_t>(x.rows * widened_stride(c.k)));
        widen_rows(x, xs, c.threads);
        c.x = reinterpret_cast<const std::byte*>(xs);
        c.x_row_bytes = 4 * widened_stride(c.k);
        c.x_factors = nullptr;
    }

    /// Runs the tier's GEMM into the calling thread's fp32 output buffer, c.y [m][c.y_row_stride].
    static void run_gemm(const simd_isa::isa_kernels& kernels, simd_isa::gemm_call& c) {
        thread_local detail::aligned_buffer<float> y_buffer, scratch_buffer;
        c.y_row_stride = c.row_groups * simd_isa::group_rows + 16;  // see the activation row padding
        c.y = y_buffer.reserve(static_cast<std::size_t>(c.m * c.y_row_stride));
        c.scratch_per_thread = kernels.scratch_floats(c.k);
        c.scratch = scratch_buffer.reserve(static_cast<std::size_t>(c.threads * c.scratch_per_thread));
        kernels.run(c);
    }

    /// y = the GEMM's fp32 output plus the bias, rounded once to the activation dtype.
    static void store_output(const simd_isa::gemm_call& c, const matrix_view& y, const const_vector_view* bias) {
        detail::parallel_rows(c.m, c.n, c.threads, [&](std::int64_t r) {
            void* out = y.row(r);
            const float* row = c.y + r * c.y_row_stride;
            for (std::int64_t n = 0; n < c.n; ++n) {
                float v = row[n];
                if (bias != nullptr) v += load_element(bias->data, bias->type, n);
                store_element(out, y.type, n, v);
            }
        });
    }

    static void apply(const prepared& p, const const_matrix_view& x, const matrix_view& y, const const_vector_view* bias,
                      const apply_options& options) {
        const simd_isa::isa_kernels& kernels = simd_isa::kernels_for(p.isa);
        simd_isa::gemm_call c = weight_call(p, detail::thread_count(options.threads));
        c.m = x.rows;
        if constexpr (Activation::quantized) {
            quantize_activations(p, kernels, x, c);
        } else {
            widen_activations(x, c);
        }
        run_gemm(kernels, c);
        store_output(c, y, bias);
    }
};

}  // namespace microscale::backend
