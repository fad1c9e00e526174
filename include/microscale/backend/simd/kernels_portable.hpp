// The portable tier: xsimd fp32 batches for every element and activation kind. Instantiated for
// the baseline (instantiations/simd/generic.cpp: SSE2 on x86-64, NEON on AArch64) and for AVX2 +
// FMA (instantiations/simd/avx2.cpp); both decode with scalar_decoder, and a tier may pass a
// vector decoder (the Decoder parameter) that must match it.
//
// Everything here is a member of portable_kernels<Arch, Decoder>, so every function is a distinct
// symbol per tier: code compiled with one tier's flags can never be picked by the linker for
// another tier (the one-definition-rule hazard of per-ISA translation units).
//
// Per row group and block, the 16 rows' codes are decoded to fp32 (integers for quantized
// activations, element values otherwise); each output is sum_b factor_b * dot_b, with dot_b an
// xsimd FMA reduction. Integer-valued dots are exact in fp32 (|dot| < 2^24 for every format).
#pragma once

#include <xsimd/xsimd.hpp>

#include <bit>
#include <cstdint>
#include <cstring>

#include "microscale/backend/simd/packed.hpp"
#include "microscale/detail/threads.hpp"

namespace microscale::backend::simd_isa {

/// Scalar decoder of the packed layout (the reference every vector decoder must match).
template <class Arch>
struct scalar_decoder {
    /// Element code of row r, k = 4q + j inside one (row group, quad) chunk.
    static std::uint8_t code(element_kind e, compute_kind c, const std::uint8_t* chunk, int r, int j) noexcept {
        const bool fp6 = element_bits(e) == 6;
        switch (flavour_of(e, c)) {
            case flavour::byte: {
                const int i = 4 * r + j;
                const std::uint8_t byte = chunk[i % 32];
                return static_cast<std::uint8_t>(i < 32 ? byte & 0xF : byte >> 4);
            }
            case flavour::word: {
                const int i = 2 * r + (j % 2);
                const std::uint8_t byte = chunk[i];
                std::uint8_t code = static_cast<std::uint8_t>(j < 2 ? byte & 0xF : byte >> 4);
                if (fp6) {
                    std::uint64_t high;
                    std::memcpy(&high, chunk + 32 + 8 * (j / 2), 8);
                    code = static_cast<std::uint8_t>(code | ((high >> (2 * i)) & 3u) << 4);
                }
                return code;
            }
            case flavour::dword: {
                const std::uint8_t byte = chunk[16 * (j / 2) + r];
                std::uint8_t code = static_cast<std::uint8_t>(j % 2 == 0 ? byte & 0xF : byte >> 4);
                if (fp6) {
                    std::uint32_t high;
                    std::memcpy(&high, chunk + 32 + 4 * j, 4);
                    code = static_cast<std::uint8_t>(code | ((high >> (2 * r)) & 3u) << 4);
                }
                return code;
            }
        }
        return 0;
    }

    /// Decodes one (row group, block) into out[16][block] through `table` (64 entries).
    static void block(const gemm_call& c, std::int64_t g, std::int64_t b, const float* table, float* out) noexcept {
        const std::int64_t qbytes = quad_bytes(c.element);
        const std::int64_t q0 = b * c.block / quad_k;
        for (std::int64_t q = 0; q < c.block / quad_k; ++q) {
            const std::uint8_t* chunk = c.codes + (g * c.quads + q0 + q) * qbytes;
            for (int r = 0; r < group_rows; ++r)
                for (int j = 0; j < quad_k; ++j) out[r * c.block + q * quad_k + j] = table[code(c.element, c.compute, chunk, r, j)];
        }
    }
};

template <class Arch, template <class> class Decoder = scalar_decoder>
struct portable_kernels {
    using batch = xsimd::batch<float, Arch>;
    static constexpr std::size_t lanes = batch::size;

    /// sum_i a[i] * b[i], n a multiple of 16: lane-wise FMA, then a fixed-order reduction.
    static float dot(const float* a, const float* b, std::int64_t n) noexcept {
        batch acc(0.0f);
        for (std::int64_t i = 0; i < n; i += static_cast<std::int64_t>(lanes))
            acc = xsimd::fma(batch::load_unaligned(a + i), batch::load_unaligned(b + i), acc);
        alignas(64) float parts[lanes];
        acc.store_aligned(parts);
        float sum = 0.0f;
        for (std::size_t l = 0; l < lanes; ++l) sum += parts[l];
        return sum;
    }

    /// Activation row m as fp32 (integers for quantized activations), into out[k].
    static void activation_row(const gemm_call& c, std::int64_t m, float* out) noexcept {
        const std::byte* row = c.x + m * c.x_row_bytes;
        for (std::int64_t i = 0; i < c.k; ++i) {
            if (c.compute == compute_kind::fma) {
                std::memcpy(out + i, row + 4 * i, 4);
            } else if (c.element == element_kind::e2m1) {
                out[i] = static_cast<float>(static_cast<std::int32_t>(static_cast<std::uint8_t>(row[i])) - int8_activation_offset);
            } else {
                std::int16_t v;
                std::memcpy(&v, row + 2 * i, 2);
                out[i] = static_cast<float>(v);
            }
        }
    }

    static void run(const gemm_call& c) {
        float table[64];
        for (int i = 0; i < 64; ++i) {
            switch (c.element) {
                case element_kind::e2m1:
                    table[i] = lookup<numeric::e2m1>(c, i);
                    break;
                case element_kind::e2m3:
                    table[i] = lookup<numeric::e2m3>(c, i);
                    break;
                case element_kind::e3m2:
                    table[i] = lookup<numeric::e3m2>(c, i);
                    break;
            }
        }
        detail::parallel_rows(c.row_groups, c.m * group_rows * c.k, c.threads, [&](std::int64_t g) {
            // scratch: this thread's slice of c.scratch: decoded group [16][k], activation row [k]
            float* weights = c.scratch + detail::thread_index() * c.scratch_per_thread;
            float* activation = weights + group_rows * c.k;
            for (std::int64_t b = 0; b < c.blocks; ++b) {
                float* block = weights + b * group_rows * c.block;
                Decoder<Arch>::block(c, g, b, table, block);
            }
            for (std::int64_t m = 0; m < c.m; ++m) {
                activation_row(c, m, activation);
                float* y = c.y + m * c.y_row_stride + g * group_rows;
                for (int r = 0; r < group_rows; ++r) {
                    float acc = 0.0f;
                    for (std::int64_t b = 0; b < c.blocks; ++b) {
                        const float d = dot(weights + b * group_rows * c.block + r * c.block, activation + b * c.block, c.block);
                        float f = c.factors[(g * c.blocks + b) * group_rows + r];
                        if (c.compute == compute_kind::int_dot) f *= c.x_factors[m * c.blocks + b];
                        acc += d * f;
                    }
                    y[r] = acc;
                }
            }
        });
        last_run_isa.store(static_cast<int>(c.isa_tag), std::memory_order_relaxed);
    }

    template <class Element>
    static float lookup(const gemm_call& c, int i) noexcept {
        static constexpr decode_tables<Element> tables{};
        return c.compute == compute_kind::int_dot ? static_cast<float>(tables.integer[static_cast<std::size_t>(i)])
                                                  : tables.value[static_cast<std::size_t>(i)];
    }

    static std::int64_t scratch_floats(std::int64_t k) noexcept { return (group_rows + 1) * k; }

    static isa_kernels table(isa id) noexcept { return {id, &run, &scratch_floats, nullptr}; }
};

}  // namespace microscale::backend::simd_isa
