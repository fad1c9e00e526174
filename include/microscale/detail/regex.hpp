// Regular expressions of checkpoint layer rules (`re:` entries of compressed-tensors `ignore` and
// Quark `exclude` lists), matched as Python's re.match does (anchored at the start of the name, not
// at its end), in time linear in the name: the pattern compiles to a Thompson NFA that is run as a
// set of states (no backtracking, no recursion on the input), so no pattern can hang or overflow
// the stack. Patterns come from files, so every limit is an error, never undefined behaviour.
//
// Python syntax supported: literals, `.`, `^ $ \A \Z \b \B`, classes `[...]` `[^...]` with ranges
// and `\d \w \s \D \W \S`, escapes (`\n \t \r \f \v \a \0 \xHH`, any escaped punctuation), groups
// `(...)` `(?:...)` `(?P<name>...)`, `|`, and the quantifiers `* + ? {m} {m,} {,n} {m,n}` with
// their lazy forms (`*?` ...; laziness does not change whether a match exists). Python's syntax
// errors are errors here too ("nothing to repeat", "multiple repeat", unbalanced parentheses, bad
// ranges, bad escapes). Not supported, and an error saying so: back-references, look-around,
// inline flags, conditionals, atomic groups and possessive quantifiers, `\u \U \N` escapes and
// non-ASCII pattern characters. Names are matched byte by byte with ASCII classes (module names
// are ASCII). Limits: 4096 pattern characters, nesting depth 64, repeat counts up to 1000, 20000
// NFA states.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/detail/text.hpp"

namespace microscale::detail {

/// A pattern that is not a valid Python regular expression, or uses what this engine does not support.
class regex_error : public std::invalid_argument {
public:
    regex_error(const std::string& what, bool unsupported) : std::invalid_argument(what), unsupported_(unsupported) {}
    /// True when Python accepts the pattern but this engine does not implement the construct.
    bool unsupported() const noexcept { return unsupported_; }

private:
    bool unsupported_;
};

class regex {
public:
    static constexpr std::size_t max_pattern_length = 4096;
    static constexpr int max_depth = 64;
    static constexpr int max_repeat = 1000;
    static constexpr std::size_t max_states = 20000;

    explicit regex(std::string_view pattern) : pattern_(pattern) {
        if (pattern.size() > max_pattern_length) throw regex_error(cat("pattern longer than ", max_pattern_length, " characters"), true);
        parser p{pattern};
        const node root = p.parse();
        if (state_count(root) + 1 > max_states) throw regex_error(cat("pattern needs more than ", max_states, " states"), true);
        emit(root);
        program_.push_back({op::match, 0, 0});
    }

    const std::string& pattern() const noexcept { return pattern_; }

    /// Python's `re.match(pattern, text) is not None`: a match that starts at the beginning of text.
    bool match_start(std::string_view text) const {
        std::vector<std::uint32_t> seen(program_.size(), 0);
        std::vector<std::size_t> current, next, stack;
        std::uint32_t generation = 1;
        if (add(0, text, 0, generation, seen, current, stack)) return true;
        for (std::size_t pos = 0; pos < text.size() && !current.empty(); ++pos) {
            const auto byte = static_cast<unsigned char>(text[pos]);
            next.clear();
            ++generation;
            for (const std::size_t pc : current)
                if (sets_[program_[pc].a][byte] && add(pc + 1, text, pos + 1, generation, seen, next, stack)) return true;
            current.swap(next);
        }
        return false;
    }

private:
    enum class op : std::uint8_t { set, split, jump, assert_, match };
    enum assertion : int { at_start, at_end, at_end_or_final_newline, word_boundary, not_word_boundary };
    struct instruction {
        op code;
        std::size_t a, b;  // set: set index; split: targets a, b; jump: target a; assert_: kind a
    };

    struct node {
        enum kind_t { empty, set, assertion_, concat, alternate, repeat } kind = empty;
        std::bitset<256> chars;
        int assertion_kind = 0;
        int min = 0, max = 0;  // repeat; max < 0: unbounded
        std::vector<node> children;
    };

    static bool is_word(unsigned char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

    static bool holds(int kind, std::string_view text, std::size_t pos) noexcept {
        const std::size_t n = text.size();
        switch (kind) {
            case at_start:
                return pos == 0;
            case at_end:
                return pos == n;
            case at_end_or_final_newline:
                return pos == n || (pos + 1 == n && text[pos] == '\n');
            default: {
                // neither `\b` nor `\B` matches in an empty string (Python up to 3.13; 3.14 lets `\B` match)
                if (n == 0) return false;
                const bool before = pos > 0 && is_word(static_cast<unsigned char>(text[pos - 1]));
                const bool after = pos < n && is_word(static_cast<unsigned char>(text[pos]));
                return (before != after) == (kind == word_boundary);
            }
        }
    }

    /// Adds the states reachable from pc without consuming input; true if one of them is the match.
    bool add(std::size_t pc, std::string_view text, std::size_t pos, std::uint32_t generation, std::vector<std::uint32_t>& seen,
             std::vector<std::size_t>& list, std::vector<std::size_t>& stack) const {
        stack.assign(1, pc);
        while (!stack.empty()) {
            const std::size_t at = stack.back();
            stack.pop_back();
            if (seen[at] == generation) continue;
            seen[at] = generation;
            const instruction& in = program_[at];
            switch (in.code) {
                case op::match:
                    return true;
                case op::set:
                    list.push_back(at);
                    break;
                case op::jump:
                    stack.push_back(in.a);
                    break;
                case op::split:
                    stack.push_back(in.b);
                    stack.push_back(in.a);
                    break;
                case op::assert_:
                    if (holds(static_cast<int>(in.a), text, pos)) stack.push_back(at + 1);
                    break;
            }
        }
        return false;
    }

    // ---- parsing (Python's sre_parse rules) --------------------------------------------------------

    struct parser {
        std::string_view s;
        std::size_t i = 0;
        int depth = 0;
        std::set<std::string> group_names{};

        [[noreturn]] void fail(const std::string& what, bool unsupported = false) const {
            throw regex_error(cat(what, " at position ", i), unsupported);
        }
        bool more() const noexcept { return i < s.size(); }
        char peek() const noexcept { return s[i]; }

        node parse() {
            node n = alternation();
            if (more()) fail("unbalanced parenthesis");
            return n;
        }

        node alternation() {
            if (++depth > max_depth) fail(cat("nesting deeper than ", max_depth), true);
            node alt;
            alt.kind = node::alternate;
            alt.children.push_back(sequence());
            while (more() && peek() == '|') {
                ++i;
                alt.children.push_back(sequence());
            }
            --depth;
            return alt.children.size() == 1 ? std::move(alt.children.front()) : alt;
        }

        node sequence() {
            node seq;
            seq.kind = node::concat;
            while (more() && peek() != '|' && peek() != ')') {
                const char c = peek();
                if (c == '*' || c == '+' || c == '?' || (c == '{' && quantifier_ahead())) {
                    if (seq.children.empty()) fail("nothing to repeat");
                    node& last = seq.children.back();
                    if (last.kind == node::assertion_) fail("nothing to repeat");
                    if (last.kind == node::repeat) fail("multiple repeat");  // only quantifiers make repeat nodes
                    int lo = 0, hi = -1;
                    quantifier(lo, hi);
                    if (more() && peek() == '?')
                        ++i;  // lazy: the same set of matches
                    else if (more() && peek() == '+')
                        fail("possessive quantifiers are not supported", true);
                    node r;
                    r.kind = node::repeat;
                    r.min = lo;
                    r.max = hi;
                    r.children.push_back(std::move(last));
                    last = std::move(r);
                    continue;
                }
                seq.children.push_back(atom());
            }
            return seq;
        }

        bool quantifier_ahead() const {
            // `{` starts a quantifier only as {m}, {m,}, {,n}, {m,n}; `{}` and anything else are literal
            std::size_t j = i + 1;
            if (j < s.size() && s[j] == '}') return false;
            while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
            if (j < s.size() && s[j] == ',') {
                ++j;
                while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
            }
            return j < s.size() && s[j] == '}';
        }

        int count(std::size_t from, std::size_t to) const {
            long long v = 0;
            for (std::size_t j = from; j < to; ++j) {
                v = v * 10 + (s[j] - '0');
                if (v > max_repeat) throw regex_error(cat("repeat count above ", max_repeat, " at position ", from), true);
            }
            return static_cast<int>(v);
        }

        void quantifier(int& lo, int& hi) {
            const char c = s[i++];
            if (c == '*') {
                lo = 0;
                hi = -1;
                return;
            }
            if (c == '+') {
                lo = 1;
                hi = -1;
                return;
            }
            if (c == '?') {
                lo = 0;
                hi = 1;
                return;
            }
            std::size_t j = i;
            while (s[j] >= '0' && s[j] <= '9') ++j;
            const bool has_lo = j > i;
            lo = has_lo ? count(i, j) : 0;
            if (s[j] == ',') {
                const std::size_t k0 = ++j;
                while (s[j] >= '0' && s[j] <= '9') ++j;
                hi = j > k0 ? count(k0, j) : -1;
            } else {
                hi = lo;
            }
            i = j + 1;  // past '}'
            if (hi >= 0 && hi < lo) fail("min repeat greater than max repeat");
        }

        node atom() {
            const char c = s[i];
            if (static_cast<unsigned char>(c) >= 0x80) fail("non-ASCII pattern characters are not supported", true);
            node n;
            switch (c) {
                case '(':
                    return group();
                case '[':
                    return char_class();
                case '.':
                    ++i;
                    n.kind = node::set;
                    n.chars.set();
                    n.chars.reset('\n');
                    return n;
                case '^':
                    ++i;
                    return assertion(at_start);
                case '$':
                    ++i;
                    return assertion(at_end_or_final_newline);
                case '\\':
                    return escape();
                default:
                    ++i;
                    return literal(static_cast<unsigned char>(c));
            }
        }

        static node literal(unsigned char c) {
            node n;
            n.kind = node::set;
            n.chars.set(c);
            return n;
        }
        static node assertion(int kind) {
            node n;
            n.kind = node::assertion_;
            n.assertion_kind = kind;
            return n;
        }

        node group() {
            const std::size_t open = i++;
            if (more() && peek() == '?') {
                ++i;
                if (!more()) fail("unexpected end of pattern");
                const char k = s[i];
                if (k == ':') {
                    ++i;
                } else if (k == 'P' && i + 1 < s.size() && s[i + 1] == '<') {
                    i += 2;
                    const std::size_t start = i;
                    while (more() && peek() != '>') ++i;
                    if (!more()) fail("missing >, unterminated name");
                    const std::string name(s.substr(start, i - start));
                    if (!identifier(name)) fail(cat("bad character in group name '", name, "'"));
                    if (!group_names.insert(name).second) fail(cat("redefinition of group name '", name, "'"));
                    ++i;
                } else if (k == 'P' && i + 1 < s.size() && s[i + 1] == '=') {
                    fail("back-references are not supported", true);
                } else if (k == '=' || k == '!' || k == '<') {
                    fail("look-around assertions are not supported", true);
                } else if (k == '#') {
                    fail("comments are not supported", true);
                } else if (k == '(') {
                    fail("conditional groups are not supported", true);
                } else if (k == '>') {
                    fail("atomic groups are not supported", true);
                } else {
                    fail("inline flags and other (?...) extensions are not supported", true);
                }
            }
            node inner = alternation();
            if (!more() || peek() != ')') {
                i = open;
                fail("missing ), unterminated subpattern");
            }
            ++i;
            // a group is an item of its own even when empty (Python repeats `()*` without complaint)
            node g;
            g.kind = node::concat;
            g.children.push_back(std::move(inner));
            return g;
        }

        static bool identifier(const std::string& name) {
            if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
            for (const char c : name)
                if (!is_word(static_cast<unsigned char>(c))) return false;
            return true;
        }

        static std::bitset<256> category(char k) {
            std::bitset<256> b;
            for (int c = 0; c < 128; ++c) {
                const bool in = (k == 'd' || k == 'D')   ? (c >= '0' && c <= '9')
                                : (k == 'w' || k == 'W') ? is_word(static_cast<unsigned char>(c))
                                                         : (c == ' ' || (c >= '\t' && c <= '\r'));
                b[static_cast<std::size_t>(c)] = in;
            }
            if (k == 'D' || k == 'W' || k == 'S') b.flip();
            return b;
        }

        static int hex(char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        /// One escaped character (or class, in `chars`) after a backslash at s[i]; `in_class` as in [..].
        /// `single`: the character, or -2 - letter for the assertions \A \Z \b \B outside a class.
        bool escaped(bool in_class, std::bitset<256>& chars, int& single) {
            const std::size_t at = i++;
            if (!more()) {
                i = at;
                fail("bad escape (end of pattern)");
            }
            const char e = s[i++];
            single = -1;
            if (std::string_view("dDwWsS").find(e) != std::string_view::npos) {
                chars = category(e);
                return false;
            }
            single = escaped_character(e, in_class, at);
            return true;
        }

        /// The character (or assertion code) of escape `e`, read after the backslash at s[at].
        int escaped_character(char e, bool in_class, std::size_t at) {
            if (const int c = control_character(e); c >= 0) return c;
            if (e == 'b' && in_class) return '\b';
            if (e == 'x') return hex_escape(at);
            if (e == 'u' || e == 'U' || e == 'N') {
                i = at;
                fail("\\u, \\U and \\N escapes are not supported", true);
            }
            if (e == '0') return octal_escape();
            return letter_or_punctuation_escape(e, in_class, at);
        }

        /// \n \t \r \f \v \a as the control character they name, else -1.
        static int control_character(char e) noexcept {
            switch (e) {
                case 'n':
                    return '\n';
                case 't':
                    return '\t';
                case 'r':
                    return '\r';
                case 'f':
                    return '\f';
                case 'v':
                    return '\v';
                case 'a':
                    return '\a';
                default:
                    return -1;
            }
        }

        /// \xHH (two hex digits at s[i]): an ASCII character.
        int hex_escape(std::size_t at) {
            const int h1 = i < s.size() ? hex(s[i]) : -1, h2 = i + 1 < s.size() ? hex(s[i + 1]) : -1;
            if (h1 < 0 || h2 < 0) {
                i = at;
                fail("incomplete escape \\x");
            }
            i += 2;
            const int c = h1 * 16 + h2;
            if (c >= 0x80) {
                i = at;
                fail("non-ASCII characters are not supported", true);
            }
            return c;
        }

        /// \0 and up to two more octal digits.
        int octal_escape() noexcept {
            int v = 0;
            for (int d = 0; d < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++d) v = v * 8 + (s[i++] - '0');
            return v;
        }

        /// What is left: digits (back-references, unsupported), the assertions \A \Z \b \B
        /// outside a class (-2 - letter), other letters (bad escapes) and escaped punctuation.
        int letter_or_punctuation_escape(char e, bool in_class, std::size_t at) {
            if (e >= '1' && e <= '9') {
                i = at;
                if (in_class) fail("octal escapes are not supported", true);
                fail("back-references are not supported", true);
            }
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
                if (!in_class && (e == 'A' || e == 'Z' || e == 'b' || e == 'B')) return -2 - e;
                i = at;
                fail(cat("bad escape \\", e));
            }
            if (static_cast<unsigned char>(e) >= 0x80) {
                i = at;
                fail("non-ASCII pattern characters are not supported", true);
            }
            return static_cast<unsigned char>(e);
        }

        node escape() {
            std::bitset<256> chars;
            int single = -1;
            if (!escaped(false, chars, single)) {
                node n;
                n.kind = node::set;
                n.chars = chars;
                return n;
            }
            switch (single) {
                case -2 - 'A':
                    return assertion(at_start);
                case -2 - 'Z':
                    return assertion(at_end);
                case -2 - 'b':
                    return assertion(word_boundary);
                case -2 - 'B':
                    return assertion(not_word_boundary);
                default:
                    return literal(static_cast<unsigned char>(single));
            }
        }

        node char_class() {
            const std::size_t open = i++;
            bool negate = false;
            if (more() && peek() == '^') {
                negate = true;
                ++i;
            }
            std::bitset<256> chars;
            bool first = true;
            for (;;) {
                if (!more()) {
                    i = open;
                    fail("unterminated character set");
                }
                char c = peek();
                if (c == ']' && !first) {
                    ++i;
                    break;
                }
                first = false;
                std::bitset<256> item;
                int lo = -1;
                if (c == '\\') {
                    if (!escaped(true, item, lo)) {
                        if (i + 1 < s.size() && peek() == '-' && s[i + 1] != ']') fail("bad character range");
                        chars |= item;
                        continue;
                    }
                } else {
                    if (static_cast<unsigned char>(c) >= 0x80) fail("non-ASCII pattern characters are not supported", true);
                    lo = static_cast<unsigned char>(c);
                    ++i;
                }
                if (i + 1 < s.size() && peek() == '-' && s[i + 1] != ']') {
                    const std::size_t range_at = i;
                    ++i;
                    int hi = -1;
                    if (peek() == '\\') {
                        if (!escaped(true, item, hi)) {
                            i = range_at;
                            fail("bad character range");
                        }
                    } else {
                        if (static_cast<unsigned char>(peek()) >= 0x80) fail("non-ASCII pattern characters are not supported", true);
                        hi = static_cast<unsigned char>(peek());
                        ++i;
                    }
                    if (hi < lo) {
                        i = range_at;
                        fail("bad character range");
                    }
                    for (int v = lo; v <= hi; ++v) chars.set(static_cast<std::size_t>(v));
                } else {
                    chars.set(static_cast<std::size_t>(lo));
                }
            }
            if (negate) chars.flip();
            node n;
            n.kind = node::set;
            n.chars = chars;
            return n;
        }
    };

    // ---- compilation --------------------------------------------------------------------------------

    static std::size_t state_count(const node& n) {
        auto capped = [](std::size_t v) { return v > max_states ? max_states + 1 : v; };
        switch (n.kind) {
            case node::empty:
                return 0;
            case node::set:
            case node::assertion_:
                return 1;
            case node::concat: {
                std::size_t total = 0;
                for (const auto& c : n.children) total = capped(total + state_count(c));
                return total;
            }
            case node::alternate: {
                std::size_t total = 0;
                for (const auto& c : n.children) total = capped(total + state_count(c) + 2);
                return total;
            }
            case node::repeat: {
                const std::size_t body = state_count(n.children.front());
                const std::size_t copies = static_cast<std::size_t>(n.max < 0 ? n.min + 1 : n.max);
                return capped(copies * (body + 2) + 2);
            }
        }
        return 0;
    }

    std::size_t here() const noexcept { return program_.size(); }

    void emit(const node& n) {
        switch (n.kind) {
            case node::empty:
                return;
            case node::set:
                sets_.push_back(n.chars);
                program_.push_back({op::set, sets_.size() - 1, 0});
                return;
            case node::assertion_:
                program_.push_back({op::assert_, static_cast<std::size_t>(n.assertion_kind), 0});
                return;
            case node::concat:
                for (const auto& c : n.children) emit(c);
                return;
            case node::alternate: {
                std::vector<std::size_t> jumps;
                for (std::size_t k = 0; k < n.children.size(); ++k) {
                    const bool last = k + 1 == n.children.size();
                    const std::size_t split = here();
                    if (!last) program_.push_back({op::split, split + 1, 0});
                    emit(n.children[k]);
                    if (!last) {
                        jumps.push_back(here());
                        program_.push_back({op::jump, 0, 0});
                        program_[split].b = here();
                    }
                }
                for (const std::size_t j : jumps) program_[j].a = here();
                return;
            }
            case node::repeat: {
                const node& body = n.children.front();
                for (int k = 0; k < n.min; ++k) emit(body);
                if (n.max < 0) {  // L: split body, out; body; jump L
                    const std::size_t loop = here();
                    program_.push_back({op::split, loop + 1, 0});
                    emit(body);
                    program_.push_back({op::jump, loop, 0});
                    program_[loop].b = here();
                    return;
                }
                std::vector<std::size_t> splits;  // optional copies: split body, out
                for (int k = n.min; k < n.max; ++k) {
                    splits.push_back(here());
                    program_.push_back({op::split, here() + 1, 0});
                    emit(body);
                }
                for (const std::size_t s : splits) program_[s].b = here();
                return;
            }
        }
    }

    std::string pattern_;
    std::vector<instruction> program_;
    std::vector<std::bitset<256>> sets_;
};

}  // namespace microscale::detail
