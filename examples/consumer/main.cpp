// A CMake project using the installed package: the compiled kernels and the runtime table.
#include <microscale/generated/kernel_declarations.hpp>
#include <microscale/library.hpp>
#include <microscale/microscale.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main() {
    namespace ms = microscale;
    const std::string headers(ms::version_string), library(ms::compiled_version());
    if (headers != library) {
        std::printf("consumer: headers %s but library %s\n", headers.c_str(), library.c_str());
        return 1;
    }
    // quantize a weight, let the runtime table pick a kernel for ModelOpt's "W4A16_NVFP4"
    const std::int64_t n = 64, k = 256;
    std::vector<float> w(static_cast<std::size_t>(n * k));
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 23) - 11) / 64.0f;
    const auto q = ms::format::quantize_weight<ms::format::nvfp4>(w, n, k);
    const auto layer = ms::create_linear("W4A16_NVFP4", q, ms::dtype::f32);
    std::vector<float> x(static_cast<std::size_t>(k), 1.0f), y(static_cast<std::size_t>(n));
    layer->apply({x.data(), ms::dtype::f32, 1, k}, {y.data(), ms::dtype::f32, 1, n});
    std::printf("consumer: microscale %s, %zu kernels in the table; W4A16_NVFP4 ran on %s, y[0] = %g\n", library.c_str(), ms::kernel_table().size(),
                std::string(layer->kernel_name()).c_str(), static_cast<double>(y[0]));
    return 0;
}
