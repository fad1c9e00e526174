// The avx512 tier: AVX-512 VNNI (vpdpbusd, vpdpwssd), AVX512-BF16 (vdpbf16ps) and VBMI (vpermb,
// vpmultishiftqb). Included only by instantiations/simd/avx512.cpp, which is compiled with those
// flags; xsimd 8 has none of these operations, so this tier is written with intrinsics.
//
// A micro-tile is NV row groups (16 output rows each, one per lane) x MT activation rows. For each
// block: the block accumulators start at the block's correction (int8) or zero, take the dots of
// the block's quads, and are folded into the fp32 accumulators with the block factors:
//   int paths  acc += float(dot) * (w_factor[n, b] * x_factor[m, b])
//   bf16 path  acc += dot * w_factor[n, b]
// Every (row, block) is computed the same way whatever NV, MT, M or the thread count are.
#pragma once

#if !(defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
      defined(__AVX512VNNI__) && defined(__AVX512BF16__) && defined(__AVX512VBMI__))
#error "kernels_avx512.hpp must be compiled with the avx512 tier's flags (see instantiations/CMakeLists.txt)"
#endif

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "microscale/backend/simd/packed.hpp"

namespace microscale::backend::simd_isa::avx512 {

inline __m512bh as_bf16(__m512i v) noexcept { return (__m512bh)v; }

inline std::int32_t load_u32(const std::byte* p) noexcept {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// ---- decoders -----------------------------------------------------------------------------------

/// 64 e2m1 codes (byte flavour) -> 64 int8 values 2 * e2m1; byte c belongs to lane c / 4.
struct fp4_bytes {
    __m512i table;
    __m512i decode(const std::uint8_t* chunk) const noexcept {
        __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk)));
        raw = _mm512_mask_srli_epi16(raw, 0xFFFF0000u, raw, 4);  // upper half: high nibbles
        return _mm512_permutexvar_epi8(raw, table);              // index = low 6 bits, table repeats every 16
    }
};

/// 64 codes (word flavour) -> two vectors of 32 words: pairs (k0, k0+1) and (k0+2, k0+3) per lane.
struct fp4_words {
    __m512i table;  // 32 words: code & 15 -> value
    void decode(const std::uint8_t* chunk, __m512i& first, __m512i& second) const noexcept {
        const __m512i words = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk)));
        first = _mm512_permutexvar_epi16(words, table);
        second = _mm512_permutexvar_epi16(_mm512_srli_epi16(words, 4), table);
    }
};

struct fp6_words {
    __m512i table_lo, table_hi;  // 64 words over two registers
    __m512i shift_control;       // vpmultishiftqb: bring bits 2i, 2i+1 of the high-bit word to bits 4-5 of word i
    __m512i nibble_mask;         // 0x000F in every word
    void decode(const std::uint8_t* chunk, __m512i& first, __m512i& second) const noexcept {
        const __m512i words = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk)));
        std::int64_t high[2];
        std::memcpy(high, chunk + 32, 16);
        const __m512i high_first = _mm512_multishift_epi64_epi8(shift_control, _mm512_set1_epi64(high[0]));
        const __m512i high_second = _mm512_multishift_epi64_epi8(shift_control, _mm512_set1_epi64(high[1]));
        // bits 0-3 from the nibble, bits 4-5 (and garbage above, ignored by the permute) from the high bits
        const __m512i index_first = _mm512_ternarylogic_epi32(nibble_mask, words, high_first, 0xCA);
        const __m512i index_second = _mm512_ternarylogic_epi32(nibble_mask, _mm512_srli_epi16(words, 4), high_second, 0xCA);
        first = _mm512_permutex2var_epi16(table_lo, index_first, table_hi);
        second = _mm512_permutex2var_epi16(table_lo, index_second, table_hi);
    }
};

// ---- paths: how a quad enters a block accumulator, and how a block is folded ---------------------

/// e2m1 x e2m1 as int8: vpdpbusd(u8 activations + 12, s8 weights); the block starts at -12 * sum(w).
struct fp4_int8_path {
    using block_acc = __m512i;
    fp4_bytes decoder;
    block_acc start(const gemm_call& c, std::int64_t g, std::int64_t b) const noexcept {
        return _mm512_loadu_si512(c.corrections + (g * c.blocks + b) * group_rows);
    }
    template <int MT>
    void quad(block_acc (&blk)[MT], const std::uint8_t* chunk, const std::byte* const (&x)[MT], std::int64_t q) const noexcept {
        const __m512i w = decoder.decode(chunk);
        for (int i = 0; i < MT; ++i) blk[i] = _mm512_dpbusd_epi32(blk[i], _mm512_set1_epi32(load_u32(x[i] + 4 * q)), w);
    }
    __m512 fold(__m512 acc, block_acc blk, __m512 w_factor, float x_factor) const noexcept {
        return _mm512_fmadd_ps(_mm512_cvtepi32_ps(blk), _mm512_mul_ps(w_factor, _mm512_set1_ps(x_factor)), acc);
    }
};

/// fp6 x fp6 as int16 pairs: vpdpwssd.
struct fp6_int16_path {
    using block_acc = __m512i;
    fp6_words decoder;
    block_acc start(const gemm_call&, std::int64_t, std::int64_t) const noexcept { return _mm512_setzero_si512(); }
    template <int MT>
    void quad(block_acc (&blk)[MT], const std::uint8_t* chunk, const std::byte* const (&x)[MT], std::int64_t q) const noexcept {
        __m512i first, second;
        decoder.decode(chunk, first, second);
        for (int i = 0; i < MT; ++i) {
            blk[i] = _mm512_dpwssd_epi32(blk[i], first, _mm512_set1_epi32(load_u32(x[i] + 8 * q)));
            blk[i] = _mm512_dpwssd_epi32(blk[i], second, _mm512_set1_epi32(load_u32(x[i] + 8 * q + 4)));
        }
    }
    __m512 fold(__m512 acc, block_acc blk, __m512 w_factor, float x_factor) const noexcept {
        return _mm512_fmadd_ps(_mm512_cvtepi32_ps(blk), _mm512_mul_ps(w_factor, _mm512_set1_ps(x_factor)), acc);
    }
};

/// element values as bf16 x bf16 activations: vdpbf16ps (exact products, fp32 sums).
template <class Decoder>
struct bf16_path {
    using block_acc = __m512;
    Decoder decoder;
    block_acc start(const gemm_call&, std::int64_t, std::int64_t) const noexcept { return _mm512_setzero_ps(); }
    template <int MT>
    void quad(block_acc (&blk)[MT], const std::uint8_t* chunk, const std::byte* const (&x)[MT], std::int64_t q) const noexcept {
        __m512i first, second;
        decoder.decode(chunk, first, second);
        for (int i = 0; i < MT; ++i) {
            blk[i] = _mm512_dpbf16_ps(blk[i], as_bf16(first), as_bf16(_mm512_set1_epi32(load_u32(x[i] + 8 * q))));
            blk[i] = _mm512_dpbf16_ps(blk[i], as_bf16(second), as_bf16(_mm512_set1_epi32(load_u32(x[i] + 8 * q + 4))));
        }
    }
    __m512 fold(__m512 acc, block_acc blk, __m512 w_factor, float) const noexcept {
        return _mm512_fmadd_ps(blk, w_factor, acc);
    }
};

// ---- the micro-tile -------------------------------------------------------------------------------

template <class Path, int NV, int MT>
void tile(const gemm_call& c, const Path& path, std::int64_t g0, std::int64_t m0) noexcept {
    const std::int64_t qbytes = quad_bytes(c.element);
    const std::int64_t quads_per_block = c.block / quad_k;
    const std::byte* x[MT];
    for (int i = 0; i < MT; ++i) x[i] = c.x + (m0 + i) * c.x_row_bytes;
    __m512 acc[NV][MT];
    for (int v = 0; v < NV; ++v)
        for (int i = 0; i < MT; ++i) acc[v][i] = _mm512_setzero_ps();
    for (std::int64_t b = 0; b < c.blocks; ++b) {
        typename Path::block_acc blk[NV][MT];
        for (int v = 0; v < NV; ++v) {
            const auto first = path.start(c, g0 + v, b);
            for (int i = 0; i < MT; ++i) blk[v][i] = first;
        }
        for (std::int64_t q = b * quads_per_block; q < (b + 1) * quads_per_block; ++q)
            for (int v = 0; v < NV; ++v)
                path.template quad<MT>(blk[v], c.codes + ((g0 + v) * c.quads + q) * qbytes, x, q);
        for (int v = 0; v < NV; ++v) {
            const __m512 w_factor = _mm512_loadu_ps(c.factors + ((g0 + v) * c.blocks + b) * group_rows);
            for (int i = 0; i < MT; ++i)
                acc[v][i] = path.fold(acc[v][i], blk[v][i], w_factor,
                                      c.compute == compute_kind::int_dot ? c.x_factors[(m0 + i) * c.blocks + b] : 1.0f);
        }
    }
    for (int v = 0; v < NV; ++v)
        for (int i = 0; i < MT; ++i) _mm512_storeu_ps(c.y + (m0 + i) * c.y_row_stride + (g0 + v) * group_rows, acc[v][i]);
}

template <class Path, int NV>
void tile_rows(int mt, const gemm_call& c, const Path& path, std::int64_t g0, std::int64_t m0) noexcept {
    switch (mt) {
        case 1: tile<Path, NV, 1>(c, path, g0, m0); break;
        case 2: if constexpr (NV <= 4) tile<Path, NV, 2>(c, path, g0, m0); break;
        case 3: if constexpr (NV <= 4) tile<Path, NV, 3>(c, path, g0, m0); break;
        case 4: if constexpr (NV <= 2) tile<Path, NV, 4>(c, path, g0, m0); break;
        case 5: if constexpr (NV <= 2) tile<Path, NV, 5>(c, path, g0, m0); break;
        case 6: if constexpr (NV <= 2) tile<Path, NV, 6>(c, path, g0, m0); break;
        default: break;
    }
}

/// Tiles the problem: NV row groups x MT rows per micro-tile, threads over row-group chunks.
template <class Path>
void run_path(const gemm_call& c, const Path& path) {
    const int nv = c.m <= 1 ? 8 : c.m <= 5 ? 4 : 2;
    const int mt = c.m <= 1 ? 1 : c.m == 2 ? 2 : c.m <= 5 ? 3 : 6;
    const std::int64_t full = c.row_groups / nv;
    const std::int64_t chunks = full + c.row_groups % nv;
#if defined(_OPENMP)
#pragma omp parallel for num_threads(c.threads) schedule(static)
#endif
    for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
        const bool whole = chunk < full;
        const std::int64_t g0 = whole ? chunk * nv : full * nv + (chunk - full);
        for (std::int64_t m0 = 0; m0 < c.m; m0 += mt) {
            const int rows = static_cast<int>(c.m - m0 < mt ? c.m - m0 : mt);
            if (!whole) {
                tile_rows<Path, 1>(rows, c, path, g0, m0);
            } else if (nv == 8) {
                tile_rows<Path, 8>(rows, c, path, g0, m0);
            } else if (nv == 4) {
                tile_rows<Path, 4>(rows, c, path, g0, m0);
            } else {
                tile_rows<Path, 2>(rows, c, path, g0, m0);
            }
        }
    }
}

// ---- tables and entry points ------------------------------------------------------------------------

template <class Element>
__m512i byte_table() noexcept {
    static constexpr decode_tables<Element> t{};
    alignas(64) std::int8_t bytes[64];
    for (int i = 0; i < 64; ++i) bytes[i] = static_cast<std::int8_t>(t.integer[static_cast<std::size_t>(i)]);
    return _mm512_load_si512(bytes);
}

template <class Element>
void word_tables(bool integer, __m512i& lo, __m512i& hi) noexcept {
    static constexpr decode_tables<Element> t{};
    alignas(64) std::uint16_t words[64];
    for (int i = 0; i < 64; ++i)
        words[i] = integer ? static_cast<std::uint16_t>(t.integer[static_cast<std::size_t>(i)]) : t.bf16[static_cast<std::size_t>(i)];
    lo = _mm512_load_si512(words);
    hi = _mm512_load_si512(words + 32);
}

inline fp6_words make_fp6_decoder(element_kind e, bool integer) noexcept {
    fp6_words d;
    if (e == element_kind::e2m3) word_tables<numeric::e2m3>(integer, d.table_lo, d.table_hi);
    else word_tables<numeric::e3m2>(integer, d.table_lo, d.table_hi);
    alignas(64) std::uint8_t control[64];
    for (int i = 0; i < 32; ++i) {
        control[2 * i] = static_cast<std::uint8_t>((2 * i - 4) & 63);
        control[2 * i + 1] = 0;
    }
    d.shift_control = _mm512_load_si512(control);
    d.nibble_mask = _mm512_set1_epi16(0x000F);
    return d;
}

inline void run(const gemm_call& c) {
    if (c.element == element_kind::e2m1) {
        if (c.compute == compute_kind::int_dot) {
            run_path(c, fp4_int8_path{fp4_bytes{byte_table<numeric::e2m1>()}});
        } else {
            __m512i lo, hi;
            word_tables<numeric::e2m1>(false, lo, hi);
            run_path(c, bf16_path<fp4_words>{fp4_words{lo}});
        }
    } else {
        const fp6_words decoder = make_fp6_decoder(c.element, c.compute == compute_kind::int_dot);
        if (c.compute == compute_kind::int_dot) run_path(c, fp6_int16_path{decoder});
        else run_path(c, bf16_path<fp6_words>{decoder});
    }
    last_run_isa.store(static_cast<int>(isa::avx512), std::memory_order_relaxed);
}

}  // namespace microscale::backend::simd_isa::avx512
