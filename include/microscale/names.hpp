// The names of schemes and kernels, at the bottom of the header layers (it includes nothing of
// microscale): `w_<fmt>[_a_<fmt>]` and `<scheme>.<layout>.<backend>`.
#pragma once

#include <cstddef>
#include <string_view>

namespace microscale {

/// Fixed-capacity constexpr string, so names are compile-time constants usable as string_views.
struct name_buffer {
    char chars[96]{};
    std::size_t size = 0;
    constexpr name_buffer& append(std::string_view s) {
        for (char c : s) chars[size++] = c;
        return *this;
    }
    constexpr std::string_view view() const { return {chars, size}; }
};

/// The scheme of a (format, activation): Quark's grammar extended to NVFP4,
/// `w_<fmt>` for weight-only, `w_<fmt>_a_<fmt>` when activations are quantized.
constexpr name_buffer make_scheme_name(std::string_view format, bool quantized_activations) {
    name_buffer b;
    b.append("w_").append(format);
    if (quantized_activations) b.append("_a_").append(format);
    return b;
}

/// The canonical kernel name: `<scheme>.<layout>.<backend>`; also the registry key, the test-name
/// suffix, the benchmark name and the build-filter token. (generators/generate.py implements the
/// same function; a test checks every generated name against this one.)
constexpr name_buffer make_kernel_name(std::string_view format, bool quantized_activations, std::string_view layout, std::string_view backend) {
    name_buffer b = make_scheme_name(format, quantized_activations);
    b.append(".").append(layout).append(".").append(backend);
    return b;
}

}  // namespace microscale
