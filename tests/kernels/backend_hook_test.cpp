// The value-check hook of the backend concept (kernel.hpp): linear_kernel runs a backend's own
// check_values instead of the host scan, so a backend whose x lives elsewhere can reuse it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "microscale/backend/emulation.hpp"
#include "support/reference.hpp"

namespace microscale::test {
namespace {

/// The emulation backend with its own value check, which counts its calls and reads nothing.
struct checking_backend : backend::emulation {
    static constexpr std::string_view name = "checking";
    static inline int checks = 0;
    static void check_values(std::string_view, const const_matrix_view&, const const_vector_view*, const apply_options&) { ++checks; }
};

TEST(BackendHook, TheBackendsValueCheckReplacesTheHostScan) {
    using F = format::mxfp4;
    using Own = linear_kernel<F, activation::a16, layout::stored, checking_backend>;
    using Host = linear_kernel<F, activation::a16, layout::stored, backend::emulation>;
    static_assert(backend_checks_values<checking_backend> && !backend_checks_values<backend::emulation>);
    const std::int64_t n = 16, k = 64;
    const random_weight rw = make_random_weight<F>(n, k, 3);
    std::vector<float> x(static_cast<std::size_t>(k), 0.5f), y(static_cast<std::size_t>(n));
    x[5] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(Host::apply(Host::prepare(rw.weight), {x.data(), dtype::f32, 1, k}, {y.data(), dtype::f32, 1, n}), std::invalid_argument);
    checking_backend::checks = 0;
    Own::apply(Own::prepare(rw.weight), {x.data(), dtype::f32, 1, k}, {y.data(), dtype::f32, 1, n});  // not scanned
    EXPECT_EQ(checking_backend::checks, 1);
    // shapes are still checked by linear_kernel itself, before the hook
    EXPECT_THROW(Own::apply(Own::prepare(rw.weight), {x.data(), dtype::f32, 1, k - 1}, {y.data(), dtype::f32, 1, n}), std::invalid_argument);
    EXPECT_EQ(checking_backend::checks, 1);
}

TEST(BackendHook, CpuKernelsRefuseViewsOfDeviceMemory) {
    using F = format::mxfp4;
    using Host = linear_kernel<F, activation::a16, layout::stored, backend::emulation>;
    static_assert(!backend_reads_device_memory<backend::emulation>);
    const std::int64_t n = 16, k = 64;
    const random_weight rw = make_random_weight<F>(n, k, 3);
    const auto p = Host::prepare(rw.weight);
    std::vector<float> x(static_cast<std::size_t>(k), 0.5f), y(static_cast<std::size_t>(n)), bias(static_cast<std::size_t>(n));
    // the claim alone is refused: nothing is read through a pointer said to be on a device
    try {
        Host::apply(p, {x.data(), dtype::f32, 1, k, 0, 0}, {y.data(), dtype::f32, 1, n});
        ADD_FAILURE() << "a device view was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("x is in CUDA device 0 memory"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Host::apply(p, {x.data(), dtype::f32, 1, k}, {y.data(), dtype::f32, 1, n, 0, 1}), std::invalid_argument);
    const const_vector_view on_device{bias.data(), dtype::f32, n, 0};
    EXPECT_THROW(Host::apply(p, {x.data(), dtype::f32, 1, k}, {y.data(), dtype::f32, 1, n}, &on_device), std::invalid_argument);
}

}  // namespace
}  // namespace microscale::test
