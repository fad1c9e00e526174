// Test helpers shared by the checkpoint tests: a fresh scratch folder and seeded sample values.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <vector>

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

/// `count` draws of N(0, sigma²); with `outlier_every` > 0, about one value in that many is 15x larger.
inline std::vector<float> normal_values(std::int64_t count, float sigma, std::uint32_t seed, unsigned outlier_every = 0) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(static_cast<std::size_t>(count));
    for (auto& x : v) x = dist(rng) * (outlier_every != 0 && rng() % outlier_every == 0 ? 15.0f : 1.0f);
    return v;
}

}  // namespace microscale::test
