// The simd backend's own weight layout, built once by prepare() (baseline code), and the plain-data
// call every ISA tier's GEMM takes.
//
// Rows are grouped by 16 (one AVX-512 lane each; padding rows are zero). Along K, codes come in
// quads of 4 consecutive k. For each (row group, quad) one of three flavours:
//
//   byte   (e2m1, quantized activations: the int8 dot, 4 k per lane)
//          32 bytes; code c = 4 * row + j (j = k within the quad) sits in byte c % 32, low nibble
//          for c < 32, high nibble for c >= 32. Decoding: broadcast the 32 bytes, one
//          multishift (high nibbles of the upper half), one 64-entry byte permute.
//   word   (e2m3 / e3m2, quantized activations: the int16 dot, 2 k per lane)
//          32 bytes: byte i = lo4(row i/2, j = i%2) | lo4(row i/2, j = 2 + i%2) << 4, then 16 bytes:
//          two 64-bit words with the high 2 bits of those codes (bits 2i, 2i+1).
//   dword  (every element, activations as they are: fp32 FMA, 1 k per instruction)
//          32 bytes: byte r = lo4(row r, j = 0) | lo4(row r, 1) << 4 (r < 16), byte 16 + r likewise
//          for j = 2, 3; fp6 adds four 32-bit words, word j holding bits 2r, 2r+1 = hi2(row r, j).
//
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "microscale/backend/simd/isa.hpp"
#include "microscale/detail/aligned_buffer.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/layout/layouts.hpp"
#include "microscale/numeric/packing.hpp"

namespace microscale::backend::simd_isa {

enum class element_kind : std::uint8_t { e2m1 = 0, e2m3 = 1, e3m2 = 2 };
enum class compute_kind : std::uint8_t { fma = 0, int_dot = 1 };  ///< a16, aq

inline constexpr int group_rows = 16;
inline constexpr int quad_k = 4;
inline constexpr std::int32_t int8_activation_offset = 12;  ///< u8 activation = 2 * e2m1 + 12

template <class Element>
constexpr element_kind element_kind_of() {
    if constexpr (Element::bits == 4)
        return element_kind::e2m1;
    else if constexpr (Element::mantissa_bits == 3)
        return element_kind::e2m3;
    else
        return element_kind::e3m2;
}

constexpr int element_bits(element_kind e) noexcept { return e == element_kind::e2m1 ? 4 : 6; }

/// Integer encoding of element values for the integer dot: value * int_multiplier is an integer.
constexpr int int_multiplier(element_kind e) noexcept { return e == element_kind::e2m1 ? 2 : e == element_kind::e2m3 ? 8 : 16; }

enum class flavour : std::uint8_t { byte, word, dword };

constexpr flavour flavour_of(element_kind e, compute_kind c) noexcept {
    if (c == compute_kind::fma) return flavour::dword;
    return e == element_kind::e2m1 ? flavour::byte : flavour::word;
}

constexpr bool byte_flavour(element_kind e, compute_kind c) noexcept { return flavour_of(e, c) == flavour::byte; }

/// Bytes per (row group, quad).
constexpr int quad_bytes(element_kind e) noexcept { return e == element_kind::e2m1 ? 32 : 48; }

/// Decode tables over the full code space (sign included): integer values (x int_multiplier) and
/// bf16 bit patterns. Built from the codecs, so they are exact by construction.
template <class Element>
struct decode_tables {
    static constexpr int size = 1 << Element::bits;
    std::array<std::int16_t, 64> integer{};
    std::array<std::uint16_t, 64> bf16{};
    std::array<float, 64> value{};
    constexpr decode_tables() {
        constexpr int mult = int_multiplier(element_kind_of<Element>());
        for (int c = 0; c < 64; ++c) {
            const auto code = static_cast<std::uint8_t>(c % size);  // tables are replicated to 64 entries
            const float v = Element::decode(code);
            value[static_cast<std::size_t>(c)] = v;
            integer[static_cast<std::size_t>(c)] = static_cast<std::int16_t>(v * static_cast<float>(mult));
            bf16[static_cast<std::size_t>(c)] = numeric::bf16::encode(v);
        }
    }
};

/// Prepared weights: owning storage.
struct packed_weights {
    element_kind element = element_kind::e2m1;
    compute_kind compute = compute_kind::fma;
    std::int64_t n = 0, k = 0, block = 0;
    std::int64_t row_groups = 0, quads = 0, blocks = 0;
    detail::aligned_buffer<std::uint8_t> codes;        ///< [row_groups][quads][quad_bytes]
    detail::aligned_buffer<float> factors;             ///< [row_groups][blocks][16]
    detail::aligned_buffer<std::int32_t> corrections;  ///< [row_groups][blocks][16], int8 path only
};

/// What an ISA tier's GEMM needs; plain data, so the tiers' translation units share nothing else.
///   y[m, n] = sum_b factor[n, b] * x_factor[m, b] * dot_b(x[m], w[n])     (aq)
///   y[m, n] = sum_b factor[n, b] * dot_b(x[m], w[n])                      (a16, x in fp32)
struct gemm_call {
    isa isa_tag;  ///< the tier running it (recorded in last_run_isa)
    element_kind element;
    compute_kind compute;
    std::int64_t n, k, block, row_groups, quads, blocks;
    const std::uint8_t* codes;
    const float* factors;
    const std::int32_t* corrections;
    std::int64_t m;
    const std::byte* x;  ///< a16: fp32 [m][k]; aq: u8 [m][k] (e2m1) or int16 [m][k] (fp6)
    std::int64_t x_row_bytes;
    const float* x_factors;  ///< aq: [m][blocks]
    float* y;                ///< fp32 [m][y_row_stride], columns [0, n)
    std::int64_t y_row_stride;
    int threads;
    float* scratch;                   ///< per-thread scratch (decoded panels)
    std::int64_t scratch_per_thread;  ///< floats per thread (scratch_floats(k) of the tier)
};

/// Which tier ran the last GEMM (tests check that a forced tier really ran).
inline std::atomic<int> last_run_isa{-1};

using gemm_function = void (*)(const gemm_call&);

/// Activation quantization a tier may vectorize: codes and factors identical to format::block_rules.
struct quantize_call {
    element_kind element;
    bool nvfp4;       ///< e4m3 block scales from g (else MX E8M0)
    bool floor_rule;  ///< MX: floor instead of even
    float g;          ///< NVFP4: 1 / input_scale
    std::int64_t m, k, block, blocks;
    const float* x;  ///< fp32 [m][x_stride]
    std::int64_t x_stride;
    std::byte* out;  ///< [m][out_row_bytes]: u8 (2 * e2m1 + 12) or int16 (fp6 * 8 or * 16)
    std::int64_t out_row_bytes;
    float* factors;  ///< [m][blocks]
    int threads;
};

using quantize_function = void (*)(const quantize_call&);

/// One tier's kernels (its row's `kernels` in backend/simd/isa.hpp).
struct isa_kernels {
    isa id;
    gemm_function run;                               ///< every element and compute kind (it switches on gemm_call::element, compute)
    std::int64_t (*scratch_floats)(std::int64_t k);  ///< per-thread scratch the tier needs for K
    quantize_function quantize;                      ///< nullptr: the baseline quantizes with the scalar rules
};

// ---- repacking (baseline code, runs once in prepare) ---------------------------------------------

namespace packing_detail {

/// Writes the codes of one (row group, quad): code_of(r, j) is the element code of row r, k = 4q + j.
template <class CodeOf>
void write_quad(element_kind element, compute_kind compute, std::uint8_t* out, CodeOf code_of) {
    const bool fp6 = element_bits(element) == 6;
    switch (flavour_of(element, compute)) {
        case flavour::byte:
            for (int c = 0; c < 32; ++c) {
                const std::uint8_t lo = code_of(c / 4, c % 4), hi = code_of((c + 32) / 4, (c + 32) % 4);
                out[c] = static_cast<std::uint8_t>((lo & 0xF) | (hi & 0xF) << 4);
            }
            return;
        case flavour::word: {
            std::uint64_t high[2] = {0, 0};
            for (int i = 0; i < 32; ++i) {
                const std::uint8_t a = code_of(i / 2, i % 2), b = code_of(i / 2, 2 + i % 2);
                out[i] = static_cast<std::uint8_t>((a & 0xF) | (b & 0xF) << 4);
                high[0] |= static_cast<std::uint64_t>(a >> 4) << (2 * i);
                high[1] |= static_cast<std::uint64_t>(b >> 4) << (2 * i);
            }
            if (fp6)
                for (int w = 0; w < 2; ++w)
                    for (int byte = 0; byte < 8; ++byte) out[32 + 8 * w + byte] = static_cast<std::uint8_t>(high[w] >> (8 * byte));
            return;
        }
        case flavour::dword: {
            std::uint32_t high[4] = {0, 0, 0, 0};
            for (int half = 0; half < 2; ++half)
                for (int r = 0; r < 16; ++r) {
                    const std::uint8_t a = code_of(r, 2 * half), b = code_of(r, 2 * half + 1);
                    out[16 * half + r] = static_cast<std::uint8_t>((a & 0xF) | (b & 0xF) << 4);
                    high[2 * half] |= static_cast<std::uint32_t>(a >> 4) << (2 * r);
                    high[2 * half + 1] |= static_cast<std::uint32_t>(b >> 4) << (2 * r);
                }
            if (fp6)
                for (int j = 0; j < 4; ++j)
                    for (int byte = 0; byte < 4; ++byte) out[32 + 4 * j + byte] = static_cast<std::uint8_t>(high[j] >> (8 * byte));
            return;
        }
    }
}

}  // namespace packing_detail

/// Repacks a validated weight of format F for activation policy A.
template <class F, class A>
packed_weights pack_weights(const quantized_weight& w) {
    using element = typename F::element;
    using rules = format::block_rules<F>;
    constexpr element_kind ek = element_kind_of<element>();
    constexpr compute_kind ck = A::quantized ? compute_kind::int_dot : compute_kind::fma;
    static constexpr decode_tables<element> tables{};

    packed_weights p;
    p.element = ek;
    p.compute = ck;
    p.n = w.rows;
    p.k = w.cols;
    p.block = F::block_size;
    p.row_groups = (w.rows + group_rows - 1) / group_rows;
    p.quads = w.cols / quad_k;
    p.blocks = w.cols / F::block_size;

    const std::vector<std::uint8_t> scales = w.scale_layout == layout::layout_id::linear
                                                 ? w.scales
                                                 : layout::convert_scales(w.scales, w.scale_layout, layout::layout_id::linear, w.rows, p.blocks);
    // unpack every row once: [n][k] codes
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(w.rows * w.cols));
    const std::int64_t row_bytes = format::packed_row_bytes<F>(w.cols);
    for (std::int64_t r = 0; r < w.rows; ++r)
        numeric::unpack<element>(std::span<const std::uint8_t>(w.codes.data() + r * row_bytes, static_cast<std::size_t>(row_bytes)),
                                 std::span<std::uint8_t>(codes.data() + r * w.cols, static_cast<std::size_t>(w.cols)));

    const std::size_t qbytes = static_cast<std::size_t>(quad_bytes(ek));
    std::uint8_t* out = p.codes.reserve(static_cast<std::size_t>(p.row_groups * p.quads) * qbytes);
    for (std::int64_t g = 0; g < p.row_groups; ++g) {
        for (std::int64_t q = 0; q < p.quads; ++q) {
            packing_detail::write_quad(ek, ck, out + static_cast<std::size_t>(g * p.quads + q) * qbytes, [&](int r, int j) -> std::uint8_t {
                const std::int64_t row = g * group_rows + r;
                return row < w.rows ? codes[static_cast<std::size_t>(row * w.cols + q * quad_k + j)] : std::uint8_t{0};
            });
        }
    }

    const float undo = ck == compute_kind::int_dot ? 1.0f / static_cast<float>(int_multiplier(ek) * int_multiplier(ek)) : 1.0f;
    const std::size_t per_group = static_cast<std::size_t>(p.blocks * group_rows);
    float* factors = p.factors.reserve(static_cast<std::size_t>(p.row_groups) * per_group);
    std::int32_t* corrections = p.corrections.reserve(byte_flavour(ek, ck) ? static_cast<std::size_t>(p.row_groups) * per_group : 1);
    for (std::int64_t g = 0; g < p.row_groups; ++g) {
        for (std::int64_t b = 0; b < p.blocks; ++b) {
            for (int r = 0; r < group_rows; ++r) {
                const std::int64_t row = g * group_rows + r;
                const std::size_t at = static_cast<std::size_t>(g) * per_group + static_cast<std::size_t>(b * group_rows + r);
                if (row >= w.rows) {
                    factors[at] = 0.0f;
                    if (byte_flavour(ek, ck)) corrections[at] = 0;
                    continue;
                }
                factors[at] = rules::weight_factor(scales[static_cast<std::size_t>(row * p.blocks + b)], w.global_scale) * undo;
                if (byte_flavour(ek, ck)) {
                    std::int32_t sum = 0;
                    for (std::int64_t i = 0; i < F::block_size; ++i)
                        sum += tables.integer[codes[static_cast<std::size_t>(row * w.cols + b * F::block_size + i)]];
                    corrections[at] = -int8_activation_offset * sum;
                }
            }
        }
    }
    return p;
}

}  // namespace microscale::backend::simd_isa
