// Test helpers shared by the checkpoint tests: a fresh scratch folder, seeded sample values, a
// stored tensor's bytes, a JSON file, and "throws an error naming this".
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/detail/json_file.hpp"
#include "microscale/detail/sample_data.hpp"

namespace microscale::test {

/// An empty folder <tmp>/microscale-<suite>-<pid>/<name>, created anew. The <tmp>/microscale-…
/// folders are removed when the test program exits, unless MICROSCALE_KEEP_SCRATCH is set.
inline std::filesystem::path scratch_dir(const std::string& suite, const std::string& name) {
    struct cleanup {
        std::set<std::filesystem::path> roots;
        ~cleanup() {
            if (std::getenv("MICROSCALE_KEEP_SCRATCH") != nullptr) return;
            std::error_code ignored;
            for (const auto& r : roots) std::filesystem::remove_all(r, ignored);
        }
    };
    static cleanup created;
    const auto root = std::filesystem::temp_directory_path() / ("microscale-" + suite + "-" + std::to_string(::getpid()));
    created.roots.insert(root);
    const auto dir = root / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

/// scratch_dir for the running test's suite: <tmp>/microscale-<test suite>-<pid>/<name>.
inline std::filesystem::path scratch(const std::string& name) {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string suite = test != nullptr ? test->test_suite_name() : "tests";
    for (char& c : suite)
        if (c == '/') c = '_';  // typed suites: Suite/0
    return scratch_dir(suite, name);
}

/// Seeded normal values with rare outliers (the library's one sample-data generator).
using detail::normal_values;

/// The stored bytes of tensor `name` of `f`.
inline std::vector<std::uint8_t> tensor_bytes(const checkpoint::safetensors_file& f, const std::string& name) {
    const auto b = f.bytes(f.at(name));
    std::vector<std::uint8_t> out(b.size());
    std::memcpy(out.data(), b.data(), b.size());
    return out;
}

/// The JSON document in file `path`.
inline nlohmann::json read_json(const std::filesystem::path& path) { return detail::read_json_file<std::runtime_error>(path); }

/// `fn` throws E whose message contains `fragment`.
template <class E, class Fn>
void expect_error(Fn&& fn, const std::string& fragment) {
    try {
        fn();
        ADD_FAILURE() << "no exception; expected one containing '" << fragment << "'";
    } catch (const E& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

}  // namespace microscale::test
