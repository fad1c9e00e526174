// Building error messages: cat("x is [", rows, ", ", cols, "]") appends strings and numbers.
// (Also sidesteps GCC 12's -Wrestrict false positive on chains of std::string operator+.)
#pragma once

#include <concepts>
#include <string>
#include <string_view>

namespace microscale::detail {

inline void append_part(std::string& out, std::string_view part) { out.append(part); }
inline void append_part(std::string& out, const char* part) { out.append(part); }
inline void append_part(std::string& out, const std::string& part) { out.append(part); }
inline void append_part(std::string& out, char part) { out.push_back(part); }
template <class T>
requires(std::integral<T> || std::floating_point<T>) void append_part(std::string& out, T value) { out.append(std::to_string(value)); }

/// `text` for an error message: whole when short, else its first `keep` characters and its length
/// (a 100 KB pattern is not echoed whole).
inline std::string excerpt(std::string_view text, std::size_t keep = 120) {
    std::string out(text.substr(0, keep));
    if (text.size() > keep) out.append("... (").append(std::to_string(text.size())).append(" characters)");
    return out;
}

template <class... Parts>
std::string cat(const Parts&... parts) {
    std::string out;
    (append_part(out, parts), ...);
    return out;
}

}  // namespace microscale::detail
