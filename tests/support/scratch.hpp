// Test helpers shared by the checkpoint tests: a fresh scratch folder and seeded sample values.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <vector>

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

/// Seeded normal values with rare outliers (the library's one sample-data generator).
using detail::normal_values;

}  // namespace microscale::test
