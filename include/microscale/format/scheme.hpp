// Canonical scheme names <-> (format, activation policy): `w_<fmt>` is weight-only (a16),
// `w_<fmt>_a_<fmt>` quantizes activations in the same format (aq).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "microscale/format/formats.hpp"
#include "microscale/names.hpp"

namespace microscale::format {

struct scheme_parts {
    std::string format;                  ///< nvfp4, mxfp4, mxfp6_e2m3, mxfp6_e3m2
    bool quantized_activations = false;  ///< aq (true) or a16
};

/// Splits a canonical scheme name; nullopt if it is not one.
inline std::optional<scheme_parts> parse_scheme(std::string_view scheme) {
    for (const std::string_view f : format_names) {
        if (scheme == make_scheme_name(f, false).view()) return scheme_parts{std::string(f), false};
        if (scheme == make_scheme_name(f, true).view()) return scheme_parts{std::string(f), true};
    }
    return std::nullopt;
}

}  // namespace microscale::format
