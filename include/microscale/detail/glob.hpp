// Shell-style pattern matching with Python fnmatch semantics (case-sensitive, POSIX), the one glob
// syntax of microscale:
//   *  any run of characters, dots included     ?  one character
//   [abc], [a-z]  one of a set                  [!abc]  one character not in the set
//   a ']' right after '[' or '[!' is a member; a '[' without its ']' is an ordinary character
// Used for MICROSCALE_DISABLED_KERNELS (registry.hpp), `microscale bench --filter` (through
// glob_to_regex) and checkpoint exclude lists, where ModelOpt and vLLM use Python's fnmatch. CMake's
// MICROSCALE_KERNELS follows it too: microscale_glob_to_regex() of cmake/MicroscaleGlob.cmake
// translates it the same way, and a test holds all three to one table of cases
// (tests/registry/glob_cases.txt).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace microscale::detail {

namespace glob_detail {
// Walks the bracket expression starting at pattern[p] == '[': member(lo, hi) for each character
// (lo == hi) or range of the set. False if the bracket is not closed (then '[' is an ordinary
// character, as in Python); else `negate` says [!...] and `next` is past the ']'.
template <class Member>
bool walk_bracket(std::string_view pattern, std::size_t p, bool& negate, std::size_t& next, Member member) {
    std::size_t i = p + 1;
    negate = false;
    if (i < pattern.size() && pattern[i] == '!') {
        negate = true;
        ++i;
    }
    const std::size_t first = i;
    while (i < pattern.size() && (pattern[i] != ']' || i == first)) {
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            member(pattern[i], pattern[i + 2]);
            i += 3;
        } else {
            member(pattern[i], pattern[i]);
            ++i;
        }
    }
    if (i >= pattern.size()) return false;
    next = i + 1;
    return true;
}

// Matches a bracket expression starting at pattern[p] == '['; sets `next` past it.
// Returns -1 if the bracket is not closed.
inline int match_bracket(std::string_view pattern, std::size_t p, char c, std::size_t& next) {
    bool negate = false, matched = false;
    if (!walk_bracket(pattern, p, negate, next, [&](char lo, char hi) { matched = matched || (lo <= c && c <= hi); })) return -1;
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
            if (pc == '?') {
                ++p;
                ++t;
                continue;
            }
            if (pc == '[') {
                std::size_t next = 0;
                const int r = glob_detail::match_bracket(pattern, p, text[t], next);
                if (r == 1) {
                    p = next;
                    ++t;
                    continue;
                }
                if (r == -1 && text[t] == '[') {
                    ++p;
                    ++t;
                    continue;
                }
            } else if (pc == text[t]) {
                ++p;
                ++t;
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

/// The ECMAScript regular expression (std::regex) that matches, in full, what glob_match(pattern, ·)
/// matches (anchor it, or use std::regex_match). `?` becomes `.`, which skips line breaks: names have none.
inline std::string glob_to_regex(std::string_view pattern) {
    auto escaped = [](char c, std::string_view specials) {
        return specials.find(c) != std::string_view::npos ? std::string{'\\', c} : std::string(1, c);
    };
    std::string out;
    for (std::size_t p = 0; p < pattern.size();) {
        const char c = pattern[p];
        if (c == '*' || c == '?') {
            out += c == '*' ? ".*" : ".";
            ++p;
            continue;
        }
        bool negate = false;
        std::size_t next = 0;
        std::string set;
        if (c == '[' && glob_detail::walk_bracket(pattern, p, negate, next, [&](char lo, char hi) {
                if (lo > hi) return;  // an empty range, as glob_match has it
                set += escaped(lo, "\\]^-[");
                if (lo < hi) set.append("-").append(escaped(hi, "\\]^-["));
            })) {
            if (set.empty())
                out += negate ? "[\\s\\S]" : "(?!)";
            else
                out.append(negate ? "[^" : "[").append(set).append("]");
            p = next;
            continue;
        }
        out += escaped(c, "\\^$.|?*+()[]{}/");
        ++p;
    }
    return out;
}

}  // namespace microscale::detail
