// microscale used header-only: only the umbrella header, nothing linked. The program instantiates
// a kernel itself, quantizes a weight, runs y = x · Wᵀ and checks it against a plain loop, and runs
// the same weight with its scales stored swizzled (the CPU kernels read any stored layout).
#include <microscale/microscale.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

int main() {
    namespace ms = microscale;
    using kernel = ms::linear_kernel<ms::format::mxfp4, ms::activation::a16, ms::layout::stored, ms::backend::emulation>;
    static_assert(kernel::name == "w_mxfp4.stored.emulation");

    const std::int64_t m = 2, n = 48, k = 128;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(static_cast<std::size_t>(n * k)), x(static_cast<std::size_t>(m * k)), y(static_cast<std::size_t>(m * n));
    for (auto& v : w) v = normal(rng);
    for (auto& v : x) v = normal(rng);

    const ms::quantized_weight q = ms::format::quantize_weight<ms::format::mxfp4>(w, n, k);
    const auto prepared = kernel::prepare(q);
    kernel::apply(prepared, {x.data(), ms::dtype::f32, m, k}, {y.data(), ms::dtype::f32, m, n});

    // the same weight, its scales stored in the CUTLASS swizzled_128x4 layout: the same bits
    ms::quantized_weight swizzled = q;
    swizzled.scales = ms::layout::convert_scales(q.scales, ms::layout::layout_id::linear, ms::layout::layout_id::swizzled_128x4, n, k / 32);
    swizzled.scale_layout = ms::layout::layout_id::swizzled_128x4;
    std::vector<float> y_swizzled(y.size());
    kernel::apply(kernel::prepare(swizzled), {x.data(), ms::dtype::f32, m, k}, {y_swizzled.data(), ms::dtype::f32, m, n});
    if (y_swizzled != y) {
        std::printf("scales stored swizzled_128x4 gave a different y\n");
        return 1;
    }

    // reference: dequantize with the codecs and sum in double
    double worst = 0.0;
    for (std::int64_t r = 0; r < m; ++r) {
        for (std::int64_t c = 0; c < n; ++c) {
            double sum = 0.0;
            for (std::int64_t i = 0; i < k; ++i) {
                const std::uint8_t byte = q.codes[static_cast<std::size_t>(c * k / 2 + i / 2)];
                const std::uint8_t code = i % 2 == 0 ? byte & 0xF : byte >> 4;
                const float scale = ms::numeric::e8m0::decode(q.scales[static_cast<std::size_t>(c * (k / 32) + i / 32)]);
                sum += static_cast<double>(x[static_cast<std::size_t>(r * k + i)]) * ms::numeric::e2m1::decode(code) * scale;
            }
            worst = std::max(worst, std::fabs(sum - y[static_cast<std::size_t>(r * n + c)]) / (std::fabs(sum) + 1.0));
        }
    }
    std::printf("microscale %s header-only: %s ran y[%lld, %lld], worst relative error %.2e\n", std::string(ms::version_string).c_str(),
                std::string(kernel::name).c_str(), static_cast<long long>(m), static_cast<long long>(n), worst);
    return worst < 1e-5 ? 0 : 1;
}
