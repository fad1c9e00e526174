// microscale's one glob syntax: detail::glob_match and its regex translation, detail::glob_to_regex,
// against the table of cases that CMake's translation (MICROSCALE_KERNELS) is also held to
// (glob_check.cmake).
// GCC 12 with -fsanitize=address,undefined warns "may be used uninitialized" inside <regex>'s own
// std::function members (a false positive of its middle end); the warning is about libstdc++'s code.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

#include "microscale/detail/glob.hpp"

#ifndef MICROSCALE_GLOB_CASES
#error "MICROSCALE_GLOB_CASES: the path of tests/registry/glob_cases.txt"
#endif

TEST(Glob, MatcherAndRegexAgreeWithTheCaseTable) {
    std::ifstream in(MICROSCALE_GLOB_CASES);
    ASSERT_TRUE(in) << MICROSCALE_GLOB_CASES;
    int cases = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
        ASSERT_NE(tab2, std::string::npos) << "bad line: " << line;
        const std::string glob = line.substr(0, tab1), text = line.substr(tab1 + 1, tab2 - tab1 - 1);
        const bool expected = line.substr(tab2 + 1) == "1";
        EXPECT_EQ(microscale::detail::glob_match(glob, text), expected) << "glob_match('" << glob << "', '" << text << "')";
        const std::string regex = microscale::detail::glob_to_regex(glob);
        EXPECT_EQ(std::regex_match(text, std::regex(regex)), expected) << "glob_to_regex('" << glob << "') = " << regex << " on '" << text << "'";
        ++cases;
    }
    EXPECT_GT(cases, 50);
}
