// Instruction-set tiers of the simd backend, and which of them this CPU can run.
//
//   avx512   AVX-512 F/BW/VL/DQ + VNNI (int8 / int16 dot) + VBMI (byte permutes, multishift):
//            Ice Lake and later, Zen 4 and later (Skylake-X and Cascade Lake lack VBMI: avx2)
//   avx2     AVX2 + FMA + F16C + BMI2 (Haswell and later, every x86-64 of the last decade)
//   generic  whatever the compiler's baseline gives xsimd (SSE2 on x86-64, NEON on AArch64)
//
// Each tier's code lives in its own translation unit compiled with that tier's flags
// (instantiations/simd/<tier>.cpp); this file is compiled for the baseline and only asks cpuid.
// MICROSCALE_SIMD_ISA=avx512|avx2|generic forces a tier (an error if the CPU cannot run it).
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "microscale/detail/text.hpp"

namespace microscale::backend::simd_isa {

enum class isa : std::uint8_t { generic = 0, avx2 = 1, avx512 = 2 };
inline constexpr std::array<isa, 3> all_isas = {isa::avx512, isa::avx2, isa::generic};  ///< best first

constexpr std::string_view isa_name(isa i) noexcept {
    switch (i) {
        case isa::avx512: return "avx512";
        case isa::avx2: return "avx2";
        case isa::generic: return "generic";
    }
    return "?";
}

inline isa parse_isa(std::string_view name) {
    for (isa i : all_isas)
        if (isa_name(i) == name) return i;
    throw std::invalid_argument(detail::cat("MICROSCALE_SIMD_ISA='", name, "' is not an ISA tier (known: avx512, avx2, generic)"));
}

/// CPU features the tiers need, read once.
struct cpu_features {
    bool avx2 = false, fma = false, f16c = false, bmi2 = false, os_ymm = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false,
         avx512bf16 = false, avx512vbmi = false, os_zmm = false;

    static cpu_features detect() noexcept {
        cpu_features f;
#if defined(__x86_64__) || defined(__i386__)
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (!__get_cpuid_count(1, 0, &a, &b, &c, &d)) return f;
        const bool osxsave = (c >> 27) & 1;
        f.fma = (c >> 12) & 1;
        f.f16c = (c >> 29) & 1;
        if (osxsave) {
            unsigned lo = 0, hi = 0;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            f.os_ymm = (lo & 0x6) == 0x6;             // XMM + YMM state
            f.os_zmm = (lo & 0xE6) == 0xE6;           // + opmask, ZMM_Hi256, Hi16_ZMM
        }
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            f.avx2 = (b >> 5) & 1;
            f.bmi2 = (b >> 8) & 1;
            f.avx512f = (b >> 16) & 1;
            f.avx512dq = (b >> 17) & 1;
            f.avx512bw = (b >> 30) & 1;
            f.avx512vl = (b >> 31) & 1;
            f.avx512vbmi = (c >> 1) & 1;
            f.avx512vnni = (c >> 11) & 1;
        }
        if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = (a >> 5) & 1;
#endif
        return f;
    }
};

inline const cpu_features& cpu() noexcept {
    static const cpu_features features = cpu_features::detect();
    return features;
}

/// Empty if the CPU runs tier `i`, else the missing features.
inline std::string missing_features(isa i) {
    const cpu_features& f = cpu();
    std::string missing;
    auto need = [&](bool have, const char* name) {
        if (!have) missing.append(missing.empty() ? "" : ", ").append(name);
    };
    switch (i) {
        case isa::generic: break;
        case isa::avx512:
#if !(defined(__x86_64__) || defined(__i386__))
            return "not an x86-64 CPU";
#endif
            need(f.avx512f, "avx512f");
            need(f.avx512bw, "avx512bw");
            need(f.avx512vl, "avx512vl");
            need(f.avx512dq, "avx512dq");
            need(f.avx512vnni, "avx512_vnni");
            need(f.avx512vbmi, "avx512_vbmi");
            need(f.os_zmm, "OS support for ZMM state");
            [[fallthrough]];
        case isa::avx2:
#if !(defined(__x86_64__) || defined(__i386__))
            return "not an x86-64 CPU";
#endif
            need(f.avx2, "avx2");
            need(f.fma, "fma");
            need(f.f16c, "f16c");
            need(f.bmi2, "bmi2");
            need(f.os_ymm, "OS support for YMM state");
            break;
    }
    return missing;
}

/// MICROSCALE_SIMD_ISA, or empty for automatic (unset, empty or "auto"); std::invalid_argument
/// naming the known tiers when it names none (as MICROSCALE_LINEAR_BACKEND does).
inline std::string forced_isa_from_environment() {
    const char* v = std::getenv("MICROSCALE_SIMD_ISA");
    if (v == nullptr) return {};
    std::string s(v);
    if (s.empty() || s == "auto") return {};
    (void)parse_isa(s);
    return s;
}

}  // namespace microscale::backend::simd_isa
