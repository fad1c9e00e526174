// The error bound every kernel is held to: y = dtype(sum_k a_k * b_k + bias) computed with fp32
// arithmetic in any order.
//
// With u = 2^-24 and gamma_n = n u / (1 - n u) (Higham, Accuracy and Stability of Numerical
// Algorithms, §3.1), a dot product of K terms evaluated in fp32 in any order (with or without
// FMA) is within gamma_K * sum_k |a_k b_k| of the exact value. Operands that are themselves one
// fp32 rounding away from their exact definition (w = fl(q * fl(s * G)), x' = fl(q * fl(s / g)),
// per-block factors fl(sx * sw)) add a few more roundings per term, and the bias one more:
//     |fl32(y) - y| <= gamma_{K + c} * (sum_k |a_k b_k| + |bias|)
// Rounding to the output dtype then adds half an ulp: u_out * |y| (+ the dtype's smallest
// subnormal step for results in its subnormal range).
#pragma once

#include <cmath>
#include <cstdint>

#include "microscale/tensor.hpp"

namespace microscale::numeric {

inline constexpr double fp32_unit_roundoff = 0x1p-24;

/// gamma_n = n u / (1 - n u), for fp32's u unless told.
constexpr double gamma_fp32(double n, double unit_roundoff = fp32_unit_roundoff) noexcept {
    const double nu = n * unit_roundoff;
    return nu / (1.0 - nu);
}

/// Bound on |output - exact| for one output element.
///   k              terms of the dot product
///   sum_abs        sum_k |a_k b_k| + |bias| (exact operands)
///   exact          the exact result (fp64 reference)
///   out            the output dtype
///   extra_roundings  fp32 roundings beyond the K of the dot product (operands, block factors, bias)
///   unit_roundoff    of the additions: fp32's 2^-24 for round-to-nearest; 2^-23 for adders that
///                    truncate (tensor cores, backend/cuda.hpp)
inline double accumulation_bound(std::int64_t k, double sum_abs, double exact, dtype out, int extra_roundings = 4,
                                 double unit_roundoff = fp32_unit_roundoff) {
    const double fp32_part = gamma_fp32(static_cast<double>(k + extra_roundings), unit_roundoff) * sum_abs;
    double out_unit = 0.0, out_subnormal = 0.0;
    switch (out) {
        case dtype::f32:
            out_unit = 0.0;
            out_subnormal = 0x1p-149;
            break;
        case dtype::bf16:
            out_unit = 0x1p-8;
            out_subnormal = 0x1p-133;
            break;
        case dtype::f16:
            out_unit = 0x1p-11;
            out_subnormal = 0x1p-25;
            break;
    }
    return fp32_part + out_unit * (std::fabs(exact) + fp32_part) + out_subnormal;
}

}  // namespace microscale::numeric
