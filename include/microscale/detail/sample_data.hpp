// Deterministic sample values with the statistics of LLM weights and activations: normal values with
// rare large outliers. The one generator of the tests, the CLI (check, demo) and the benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace microscale::detail {

/// `count` draws of N(0, sigma²) from std::mt19937(seed); with `outlier_every` > 0, a value is
/// `outlier_gain` times larger when the draw after it is divisible by `outlier_every` (about one
/// value in that many). The normal draw comes first, then the outlier draw, whatever the compiler;
/// the values depend on the standard library's normal_distribution (libstdc++ on Debian).
inline std::vector<float> normal_values(std::int64_t count, float sigma, std::uint32_t seed, unsigned outlier_every = 0, float outlier_gain = 15.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> v(static_cast<std::size_t>(count));
    for (auto& x : v) {
        const float value = normal(rng);
        const bool outlier = outlier_every != 0 && rng() % outlier_every == 0;
        x = value * (outlier ? outlier_gain : 1.0f);
    }
    return v;
}

}  // namespace microscale::detail
