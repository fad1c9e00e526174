// Instruction-set tiers of the simd backend: one table, `tiers`, best first, with everything a tier
// is (Highway's HWY_EXPORT style): its name (what MICROSCALE_SIMD_ISA says), the CPU it needs (an
// architecture and a list of features) and its kernels.
//
//   avx512   AVX-512 F/BW/VL/DQ + VNNI (int8 / int16 dot) + VBMI (byte permutes, multishift):
//            Ice Lake and later, Zen 4 and later (Skylake-X and Cascade Lake lack VBMI: avx2)
//   avx2     AVX2 + FMA + F16C + BMI2 (Haswell and later, every x86-64 of the last decade)
//   generic  whatever the compiler's baseline gives xsimd (SSE2 on x86-64, NEON on AArch64)
//
// Each tier's kernels live in their own translation unit compiled with that tier's flags
// (instantiations/simd/<tier>.cpp, added by microscale_simd_tier() of cmake/MicroscaleSimdTiers.cmake);
// this file is compiled for the baseline and only asks the CPU: cpuid on x86-64, getauxval on
// AArch64 Linux (NEON dot product, SVE, SVE2, I8MM: what an Arm tier would need). Adding a tier: an
// enumerator and a row here, its `<name>_kernels()` translation unit, one microscale_simd_tier().
// MICROSCALE_SIMD_ISA=<name> forces a tier (an error if the CPU cannot run it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "microscale/detail/text.hpp"

namespace microscale::backend::simd_isa {

enum class cpu_arch : std::uint8_t { any, x86_64, aarch64, other };

constexpr std::string_view arch_name(cpu_arch a) noexcept { return a == cpu_arch::x86_64 ? "x86-64" : a == cpu_arch::aarch64 ? "AArch64" : "other"; }

/// CPU features the tiers need, read once. (avx512bf16 is needed by no tier: the benchmarks'
/// bf16-dot peak probe asks for it, bench/probes.cpp.)
struct cpu_features {
#if defined(__x86_64__)
    cpu_arch arch = cpu_arch::x86_64;
#elif defined(__aarch64__)
    cpu_arch arch = cpu_arch::aarch64;
#else
    cpu_arch arch = cpu_arch::other;
#endif
    // x86-64
    bool avx2 = false, fma = false, f16c = false, bmi2 = false, os_ymm = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false, avx512bf16 = false, avx512vbmi = false,
         os_zmm = false;
    // AArch64 (Linux: HWCAP_ASIMD, HWCAP_ASIMDDP, HWCAP_SVE, HWCAP2_SVE2, HWCAP2_I8MM)
    bool neon = false, neon_dot = false, sve = false, sve2 = false, i8mm = false;

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
            f.os_ymm = (lo & 0x6) == 0x6;    // XMM + YMM state
            f.os_zmm = (lo & 0xE6) == 0xE6;  // + opmask, ZMM_Hi256, Hi16_ZMM
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
#elif defined(__aarch64__) && defined(__linux__)
        // bit numbers of <asm/hwcap.h> (stable Linux ABI), spelled out for older headers
        const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
        f.neon = (hwcap >> 1) & 1;       // HWCAP_ASIMD
        f.neon_dot = (hwcap >> 20) & 1;  // HWCAP_ASIMDDP: sdot / udot
        f.sve = (hwcap >> 22) & 1;       // HWCAP_SVE
        f.sve2 = (hwcap2 >> 1) & 1;      // HWCAP2_SVE2
        f.i8mm = (hwcap2 >> 13) & 1;     // HWCAP2_I8MM: smmla / usdot
#endif
        return f;
    }
};

inline const cpu_features& cpu() noexcept {
    static const cpu_features features = cpu_features::detect();
    return features;
}

/// One CPU feature a tier needs: where cpu_features holds it, and its name in messages.
struct requirement {
    bool cpu_features::*present;
    std::string_view name;
};

inline constexpr requirement avx2_requirements[] = {{&cpu_features::avx2, "avx2"},
                                                    {&cpu_features::fma, "fma"},
                                                    {&cpu_features::f16c, "f16c"},
                                                    {&cpu_features::bmi2, "bmi2"},
                                                    {&cpu_features::os_ymm, "OS support for YMM state"}};
inline constexpr requirement avx512_requirements[] = {{&cpu_features::avx512f, "avx512f"},
                                                      {&cpu_features::avx512bw, "avx512bw"},
                                                      {&cpu_features::avx512vl, "avx512vl"},
                                                      {&cpu_features::avx512dq, "avx512dq"},
                                                      {&cpu_features::avx512vnni, "avx512_vnni"},
                                                      {&cpu_features::avx512vbmi, "avx512_vbmi"},
                                                      {&cpu_features::os_zmm, "OS support for ZMM state"}};

/// A tier's identity: its row in `tiers`.
enum class isa : std::uint8_t { avx512, avx2, generic };

struct isa_kernels;  // backend/simd/packed.hpp
/// Each tier's kernels, defined in its translation unit (instantiations/simd/<tier>.cpp). A tier
/// that this target does not build (microscale_simd_tier) stands in with the generic tier's: its
/// architecture check fails, so it is never chosen.
const isa_kernels& avx512_kernels() noexcept;
const isa_kernels& avx2_kernels() noexcept;
const isa_kernels& generic_kernels() noexcept;

struct tier {
    isa id;
    std::string_view name;
    cpu_arch arch;                                      ///< `any`: runs on every CPU
    std::array<std::span<const requirement>, 2> needs;  ///< features, in the order messages name them
    const isa_kernels& (*kernels)() noexcept;
};

/// The tiers, best first.
inline constexpr tier tiers[] = {
    {isa::avx512, "avx512", cpu_arch::x86_64, {avx512_requirements, avx2_requirements}, &avx512_kernels},
    {isa::avx2, "avx2", cpu_arch::x86_64, {avx2_requirements, {}}, &avx2_kernels},
    {isa::generic, "generic", cpu_arch::any, {}, &generic_kernels},
};

static_assert(
    [] {
        for (std::size_t i = 0; i < std::size(tiers); ++i)
            if (tiers[i].id != static_cast<isa>(i)) return false;
        return true;
    }(),
    "simd tiers: the rows of `tiers` follow the enumerators of `isa`");

inline constexpr auto all_isas = [] {
    std::array<isa, std::size(tiers)> ids{};
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = tiers[i].id;
    return ids;
}();  ///< best first

constexpr const tier& tier_of(isa i) noexcept { return tiers[static_cast<std::size_t>(i)]; }

constexpr std::string_view isa_name(isa i) noexcept { return tier_of(i).name; }

inline const isa_kernels& kernels_for(isa i) noexcept { return tier_of(i).kernels(); }

inline isa parse_isa(std::string_view name) {
    std::string known;
    for (const tier& t : tiers) {
        if (t.name == name) return t.id;
        known.append(known.empty() ? "" : ", ").append(t.name);
    }
    throw std::invalid_argument(detail::cat("MICROSCALE_SIMD_ISA='", name, "' is not an ISA tier (known: ", known, ")"));
}

/// Empty if the CPU runs tier `i`, else the missing features.
inline std::string missing_features(isa i) {
    const tier& t = tier_of(i);
    const cpu_features& f = cpu();
    if (t.arch != cpu_arch::any && t.arch != f.arch) return detail::cat("not an ", arch_name(t.arch), " CPU");
    std::string missing;
    for (const auto& list : t.needs)
        for (const requirement& r : list)
            if (!(f.*r.present)) missing.append(missing.empty() ? "" : ", ").append(r.name);
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

struct isa_choice {
    bool ok = false;
    isa chosen = isa::generic;
    std::string reason;
};

/// The tier to run: MICROSCALE_SIMD_ISA if set (and runnable), else the best runnable one.
inline isa_choice choose_isa() {
    isa_choice choice;
    std::string why_not;
    const std::string forced = forced_isa_from_environment();
    for (const tier& t : tiers) {
        if (!forced.empty() && t.name != forced) continue;
        const std::string missing = missing_features(t.id);
        if (missing.empty()) {
            choice.ok = true;
            choice.chosen = t.id;
            choice.reason = detail::cat("runs the ", t.name, " tier", forced.empty() ? "" : " (MICROSCALE_SIMD_ISA)", why_not);
            return choice;
        }
        why_not.append(detail::cat("; ", t.name, " needs ", missing));
    }
    if (!forced.empty()) choice.reason = detail::cat("MICROSCALE_SIMD_ISA=", forced, " but this CPU lacks ", missing_features(parse_isa(forced)));
    return choice;
}

}  // namespace microscale::backend::simd_isa
