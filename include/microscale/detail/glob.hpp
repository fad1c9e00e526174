// Shell-style pattern matching with Python fnmatch semantics (case-sensitive, POSIX):
//   *  any run of characters, dots included     ?  one character
//   [abc], [a-z]  one of a set                  [!abc]  one character not in the set
// Used for kernel-name filters (MICROSCALE_DISABLED_KERNELS, MICROSCALE_KERNELS) and for
// checkpoint exclude lists, where ModelOpt and vLLM use Python's fnmatch.
#pragma once

#include <cstddef>
#include <string_view>

namespace microscale::detail {

namespace glob_detail {
// Matches a bracket expression starting at pattern[p] == '['; sets `next` past it.
// Returns -1 if the bracket is not closed (then '[' is an ordinary character, as in Python).
inline int match_bracket(std::string_view pattern, std::size_t p, char c, std::size_t& next) {
    std::size_t i = p + 1;
    bool negate = false;
    if (i < pattern.size() && pattern[i] == '!') { negate = true; ++i; }
    const std::size_t first = i;
    bool matched = false;
    while (i < pattern.size() && (pattern[i] != ']' || i == first)) {
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            if (pattern[i] <= c && c <= pattern[i + 2]) matched = true;
            i += 3;
        } else {
            if (pattern[i] == c) matched = true;
            ++i;
        }
    }
    if (i >= pattern.size()) return -1;
    next = i + 1;
    return matched != negate ? 1 : 0;
}
}  // namespace glob_detail

/// True if `text` matches `pattern` in full.
inline bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0;
    std::size_t star_p = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size()) {
            const char pc = pattern[p];
            if (pc == '*') {
                star_p = p++;
                star_t = t;
                continue;
            }
            if (pc == '?') { ++p; ++t; continue; }
            if (pc == '[') {
                std::size_t next = 0;
                const int r = glob_detail::match_bracket(pattern, p, text[t], next);
                if (r == 1) { p = next; ++t; continue; }
                if (r == -1 && text[t] == '[') { ++p; ++t; continue; }
            } else if (pc == text[t]) {
                ++p; ++t;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        p = star_p + 1;
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace microscale::detail
