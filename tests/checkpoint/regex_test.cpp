// The `re:` layer-rule engine against Python's own re.match (tests/golden/data/regex_cases.json,
// written by tests/golden/make_regex_cases.py): the same verdict for every pattern and name, the
// same patterns rejected; and the inputs a backtracking matcher or a recursive parser dies on.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "microscale/detail/regex.hpp"

using microscale::detail::regex;
using microscale::detail::regex_error;

namespace {

nlohmann::json load_cases() {
    std::ifstream in(std::string(MICROSCALE_GOLDEN_DIR) + "/regex_cases.json");
    if (!in) throw std::runtime_error("cannot open regex_cases.json; run tests/golden/make_regex_cases.py");
    return nlohmann::json::parse(in);
}

/// The error a pattern gives, or empty when it compiles.
std::string compile_error(const std::string& pattern, bool* unsupported = nullptr) {
    try {
        (void)regex(pattern);
        return {};
    } catch (const regex_error& e) {
        if (unsupported) *unsupported = e.unsupported();
        return e.what();
    }
}

}  // namespace

TEST(Regex, AgreesWithPythonReMatch) {
    const auto golden = load_cases();
    const auto names = golden.at("names").get<std::vector<std::string>>();
    int compared = 0, python_errors = 0, unsupported_cases = 0;
    for (const auto& c : golden.at("cases")) {
        const auto pattern = c.at("pattern").get<std::string>();
        SCOPED_TRACE("pattern '" + pattern + "'");
        bool unsupported = false;
        const std::string error = compile_error(pattern, &unsupported);
        if (!c.at("error").is_null()) {
            ++python_errors;
            EXPECT_FALSE(error.empty()) << "Python rejects it (" << c.at("error").get<std::string>() << "); we accept it";
            continue;
        }
        if (!c.at("supported").get<bool>()) {
            ++unsupported_cases;
            EXPECT_FALSE(error.empty()) << "accepted a construct we do not implement";
            EXPECT_TRUE(unsupported) << "should say it is unsupported, says: " << error;
            continue;
        }
        ASSERT_TRUE(error.empty()) << "Python accepts it; we say: " << error;
        const regex re(pattern);
        const auto expected = c.at("matches").get<std::vector<bool>>();
        for (std::size_t n = 0; n < names.size(); ++n) {
            EXPECT_EQ(re.match_start(names[n]), expected[n]) << "name '" << names[n] << "'";
            ++compared;
        }
    }
    // the golden file exercises all three outcomes in volume
    EXPECT_GT(compared, 20000);
    EXPECT_GT(python_errors, 100);
    EXPECT_GT(unsupported_cases, 10);
}

TEST(Regex, HandDerived) {
    // re.match anchors at the start only
    EXPECT_TRUE(regex("model.layers.1").match_start("model.layers.10.mlp"));
    EXPECT_FALSE(regex("layers").match_start("model.layers.1"));
    EXPECT_TRUE(regex(".*mlp.gate$").match_start("model.layers.0.mlp.gate"));
    EXPECT_FALSE(regex(".*mlp.gate$").match_start("model.layers.0.mlp.gate_proj"));
    // `$` also matches before a final newline, `\Z` only at the very end
    EXPECT_TRUE(regex("x$").match_start("x\n"));
    EXPECT_FALSE(regex("x\\Z").match_start("x\n"));
    // `.` does not match a newline
    EXPECT_FALSE(regex("a.b").match_start("a\nb"));
    EXPECT_TRUE(regex("a{2,3}b").match_start("aaab"));
    EXPECT_FALSE(regex("a{2,3}b").match_start("aaaab"));
    EXPECT_TRUE(regex("a{,2}b").match_start("b"));
    EXPECT_TRUE(regex("a{x}").match_start("a{x}"));  // not a repeat in Python: literal braces
    EXPECT_TRUE(regex("\\bq_proj").match_start("q_proj"));
    EXPECT_FALSE(regex("m\\b").match_start("model"));
}

TEST(Regex, HostileInputsTerminateQuickly) {
    // exponential for a backtracking matcher; linear here
    const std::string long_a(5000, 'a');
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(regex("(a*)*b").match_start(long_a));
    EXPECT_FALSE(regex("(a|aa)*b").match_start(long_a));
    EXPECT_FALSE(regex("(.*)*x").match_start(long_a));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 30.0) << "a generous bound: a backtracking engine needs longer than the age of the universe";
}

TEST(Regex, LimitsAreErrorsNotCrashes) {
    bool unsupported = false;
    // deep nesting would overflow a recursive parser's stack
    EXPECT_NE(compile_error(std::string(24000, '('), &unsupported), "");
    EXPECT_NE(compile_error(std::string(100, '(') + "a" + std::string(100, ')'), &unsupported).find("nesting deeper than"), std::string::npos);
    EXPECT_TRUE(unsupported);
    // repeat counts too large to represent, or to expand
    EXPECT_NE(compile_error("a{99999999999999999999}"), "");
    EXPECT_NE(compile_error("a{2,99999999999999999999}"), "");
    EXPECT_NE(compile_error("\\99999999999999999999"), "");
    EXPECT_NE(compile_error("(a{1000}){1000}", &unsupported).find("states"), std::string::npos);
    EXPECT_TRUE(unsupported);
    // Python's "multiple repeat"
    EXPECT_NE(compile_error("mo********x").find("multiple repeat"), std::string::npos);
    EXPECT_NE(compile_error(std::string(5000, 'a')).find("longer than"), std::string::npos);
}
