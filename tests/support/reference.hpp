// Test-side references, written from the numeric contract (DESIGN.md §4) using only the element
// codecs (which are themselves checked bit for bit against NVIDIA's routines): nothing here calls
// the format quantizers, the layouts or the backends under test.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "microscale/format/formats.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/numeric/error_bound.hpp"
#include "microscale/numeric/numeric.hpp"
#include "microscale/tensor.hpp"

namespace microscale::test {

/// A weight with random codes and scales (not produced by any quantizer), its linear scales kept
/// aside so the reference does not depend on the layout code.
struct random_weight {
    quantized_weight weight;           ///< linear scales
    std::vector<std::uint8_t> codes;   ///< [N, K] unpacked element codes
    std::vector<std::uint8_t> scales;  ///< [N, K / block] linear
};

template <class F>
random_weight make_random_weight(std::int64_t n, std::int64_t k, std::uint32_t seed) {
    std::mt19937 rng(seed);
    random_weight r;
    const std::int64_t blocks = k / F::block_size;
    r.codes.resize(static_cast<std::size_t>(n * k));
    for (auto& c : r.codes) c = static_cast<std::uint8_t>(rng() & ((1u << F::element::bits) - 1u));
    r.scales.resize(static_cast<std::size_t>(n * blocks));
    for (auto& s : r.scales) {
        if constexpr (F::has_global_scale) {
            // positive e4m3 codes, subnormals included, NaN (0x7F) excluded
            s = static_cast<std::uint8_t>(rng() % 0x7F);
        } else {
            s = static_cast<std::uint8_t>(114 + rng() % 14);  // 2^-13 .. 2^0 (fp16 outputs stay finite)
        }
    }
    r.weight.format = std::string(F::name);
    r.weight.rows = n;
    r.weight.cols = k;
    r.weight.scales = r.scales;
    r.weight.global_scale = F::has_global_scale ? 0.013f : 1.0f;
    r.weight.codes.resize(static_cast<std::size_t>(n * numeric::packed_bytes(static_cast<std::size_t>(k), F::element::bits)));
    // pack by the bit-stream definition (DESIGN §4.1), independently of numeric::pack
    std::fill(r.weight.codes.begin(), r.weight.codes.end(), 0);
    const std::size_t row_bytes = r.weight.codes.size() / static_cast<std::size_t>(n);
    for (std::int64_t row = 0; row < n; ++row) {
        for (std::int64_t i = 0; i < k; ++i) {
            const std::uint32_t code = r.codes[static_cast<std::size_t>(row * k + i)];
            const std::size_t bit = static_cast<std::size_t>(i) * F::element::bits;
            const std::uint32_t shifted = code << (bit % 8);
            std::uint8_t* base = r.weight.codes.data() + static_cast<std::size_t>(row) * row_bytes + bit / 8;
            base[0] = static_cast<std::uint8_t>(base[0] | (shifted & 0xFF));
            if ((shifted >> 8) != 0) base[1] = static_cast<std::uint8_t>(base[1] | (shifted >> 8));
        }
    }
    return r;
}

/// Block dequantization factor by the contract: nvfp4 fp32(float(s8) * G), MX 2^(s - 127).
template <class F>
double reference_weight_factor(std::uint8_t s, float global) {
    if constexpr (F::has_global_scale) {
        return static_cast<double>(numeric::e4m3::decode(s) * global);  // one fp32 product
    } else {
        return std::ldexp(1.0, static_cast<int>(s) - 127);
    }
}

/// W [N, K] as exact reals (fp64): element(q) * factor.
template <class F>
std::vector<double> reference_weight_values(const random_weight& r) {
    const std::int64_t n = r.weight.rows, k = r.weight.cols, blocks = k / F::block_size;
    std::vector<double> w(static_cast<std::size_t>(n * k));
    for (std::int64_t row = 0; row < n; ++row)
        for (std::int64_t i = 0; i < k; ++i)
            w[static_cast<std::size_t>(row * k + i)] =
                static_cast<double>(F::element::decode(r.codes[static_cast<std::size_t>(row * k + i)])) *
                reference_weight_factor<F>(r.scales[static_cast<std::size_t>(row * blocks + i / F::block_size)], r.weight.global_scale);
    return w;
}

/// Activation quantize-dequantize of one row by the contract (DESIGN §4.2 / §4.3), values exact
/// (fp64) from fp32 codes and factors: nvfp4 with vLLM's formulas, MX with the "even" rule.
template <class F>
std::vector<double> reference_qdq_row(const std::vector<float>& x, float input_scale) {
    const std::size_t k = x.size();
    std::vector<double> out(k);
    for (std::size_t b0 = 0; b0 < k; b0 += F::block_size) {
        float amax = 0.0f;
        for (std::size_t i = b0; i < b0 + F::block_size; ++i) amax = std::max(amax, std::fabs(x[i]));
        if constexpr (F::has_global_scale) {
            const float g = 1.0f / input_scale;
            const float r6 = 1.0f / 6.0f;
            float s = g * (amax * r6);
            s = std::min(std::max(s, -448.0f), 448.0f);
            const float s8 = numeric::e4m3::decode(numeric::e4m3::encode(s));
            const float inv_g = 1.0f / g;
            const float t = s8 * inv_g;
            const float os = 1.0f / (t + (t == 0.0f ? 1e8f : 0.0f));
            const float factor = s8 / g;
            for (std::size_t i = b0; i < b0 + F::block_size; ++i) {
                const float y = std::min(std::max(x[i] * os, -6.0f), 6.0f);
                out[i] = static_cast<double>(numeric::e2m1::decode(numeric::e2m1::encode(y))) * factor;
            }
        } else {
            // even rule: E = floor(log2(amax rounded up near the next power of two)) - emax
            int e = -127;
            if (amax > 0.0f) {
                int exponent;
                const double mantissa = std::frexp(static_cast<double>(amax), &exponent);  // [0.5, 1)
                const int m = F::element::mantissa_bits;
                // round-up threshold: mantissa >= 1 - 2^-(m+2) (in [1,2) terms: 2 - 2^-(m+1))
                const double threshold = 1.0 - std::ldexp(1.0, -(m + 2));
                int floor_log2 = exponent - 1;
                if (mantissa >= threshold) floor_log2 += 1;
                const int emax = (1 << F::element::exponent_bits) - 1 - F::element::bias;
                e = std::clamp(floor_log2 - emax, -127, 127);
            }
            const double scale = std::ldexp(1.0, e);
            for (std::size_t i = b0; i < b0 + F::block_size; ++i) {
                const auto q = F::element::encode(static_cast<float>(static_cast<double>(x[i]) / scale));
                out[i] = static_cast<double>(F::element::decode(q)) * scale;
            }
        }
    }
    return out;
}

/// The library's bound (numeric/error_bound.hpp), pinned by its own hand-derived test.
using numeric::accumulation_bound;

}  // namespace microscale::test
