// The cuda backend with device memory (label gpu; skipped with the reason where there is no
// device): device views give the host path's bits, wrong memory claims are errors, the value
// check finds NaN on the device, the device's activation quantization gives the CPU's codes and
// scales, and a large problem (many K chunks and ranges) stays within the bound of an fp64
// reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "generated/kernel_types.hpp"
#include "microscale/backend/cuda.hpp"
#include "microscale/format/quantizer.hpp"
#include "support/kernel_names.hpp"
#include "support/reference.hpp"

namespace microscale::test {
namespace {

namespace cuda_runtime = backend::cuda_runtime;
using cuda_runtime::device_buffer;

#define MICROSCALE_NEED_DEVICE()                                                                      \
    if (cuda_runtime::device_count() == 0) {                                                          \
        GTEST_SKIP() << "no CUDA device here: " << cuda_runtime::no_device_reason();                 \
    }

std::vector<std::uint16_t> bf16_rows(std::int64_t m, std::int64_t k, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<std::uint16_t> x(static_cast<std::size_t>(m * k));
    for (auto& v : x) v = numeric::bf16::encode(normal(rng) * (rng() % 53 == 0 ? 20.0f : 1.0f));
    return x;
}

template <class T>
void* upload(device_buffer& b, const std::vector<T>& host) {
    void* p = b.reserve(host.size() * sizeof(T), cuda_runtime::current_device());
    cuda_runtime::copy(p, host.data(), host.size() * sizeof(T), nullptr);
    cuda_runtime::synchronize(nullptr);
    return p;
}

template <class T>
std::vector<T> download(const device_buffer& b, std::size_t count) {
    std::vector<T> host(count);
    cuda_runtime::copy(host.data(), b.data(), count * sizeof(T), nullptr);
    cuda_runtime::synchronize(nullptr);
    return host;
}

template <class Kernel>
class CudaDevice : public ::testing::Test {};

template <class Kernel>
using on_cuda = std::is_same<typename Kernel::backend_type, backend::cuda>;
using cuda_types = boost::mp11::mp_rename<boost::mp11::mp_copy_if<linear_kernel_types, on_cuda>, ::testing::Types>;

TYPED_TEST_SUITE(CudaDevice, cuda_types, kernel_names);

TYPED_TEST(CudaDevice, DeviceViewsGiveTheHostPathsBitsAndWrongClaimsAreErrors) {
    MICROSCALE_NEED_DEVICE()
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    const std::int64_t m = 5, n = 200, k = 12 * F::block_size;
    random_weight rw = make_random_weight<F>(n, k, 11);
    rw.weight.input_scale = 20.0f / 2688.0f;
    const auto p = Kernel::prepare(rw.weight);
    const auto x = bf16_rows(m, k, 12);
    std::vector<float> bias(static_cast<std::size_t>(n), 0.25f);

    std::vector<std::uint16_t> y_host(static_cast<std::size_t>(m * n));
    const const_vector_view host_bias{bias.data(), dtype::f32, n};
    Kernel::apply(p, {x.data(), dtype::bf16, m, k}, {y_host.data(), dtype::bf16, m, n}, &host_bias);

    const int d = cuda_runtime::current_device();
    device_buffer dx, dy, db;
    void* x_on = upload(dx, x);
    void* b_on = upload(db, bias);
    dy.reserve(y_host.size() * 2, d);
    const const_vector_view device_bias{b_on, dtype::f32, n, d};
    Kernel::apply(p, {x_on, dtype::bf16, m, k, 0, d}, {dy.data(), dtype::bf16, m, n, 0, d}, &device_bias);
    cuda_runtime::synchronize(nullptr);
    EXPECT_EQ(download<std::uint16_t>(dy, y_host.size()), y_host);

    // a view that says host memory but points into the device, and the reverse, never run
    EXPECT_THROW(Kernel::apply(p, {x_on, dtype::bf16, m, k}, {y_host.data(), dtype::bf16, m, n}), std::invalid_argument);
    EXPECT_THROW(Kernel::apply(p, {x.data(), dtype::bf16, m, k, 0, d}, {dy.data(), dtype::bf16, m, n, 0, d}), std::invalid_argument);
    // x on the device, y on the host
    EXPECT_THROW(Kernel::apply(p, {x_on, dtype::bf16, m, k, 0, d}, {y_host.data(), dtype::bf16, m, n}), std::invalid_argument);

    // NaN in device memory is found by the device scan, and named
    std::vector<std::uint16_t> bad = x;
    bad[static_cast<std::size_t>(2 * k + 7)] = 0x7FC0;
    void* bad_on = upload(dx, bad);
    try {
        Kernel::apply(p, {bad_on, dtype::bf16, m, k, 0, d}, {dy.data(), dtype::bf16, m, n, 0, d});
        ADD_FAILURE() << "NaN in device memory accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("x[2, 7]"), std::string::npos) << e.what();
    }
    apply_options unchecked;
    unchecked.device_value_check = false;  // documented: no error, a non-finite output row instead
    EXPECT_NO_THROW(Kernel::apply(p, {bad_on, dtype::bf16, m, k, 0, d}, {dy.data(), dtype::bf16, m, n, 0, d}, nullptr, unchecked));
}

TYPED_TEST(CudaDevice, StridedDeviceViewsAndLargeBatchesGiveTheHostPathsBits) {
    MICROSCALE_NEED_DEVICE()
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    // K: 13 blocks (nvfp4: a half-filled last 32-slice) or 7 (MX); M: the decode kernel (5) and the
    // prefill kernel over three 128-row blocks (300); x rows K + 1 (2-byte aligned: no staging, scalar
    // loads) and K + 4 elements apart (8-byte pieces), y rows N + 3 apart
    const std::int64_t n = 200, k = (F::block_size == 16 ? 13 : 7) * F::block_size;
    random_weight rw = make_random_weight<F>(n, k, 51);
    rw.weight.input_scale = 20.0f / 2688.0f;
    const auto p = Kernel::prepare(rw.weight);
    const int d = cuda_runtime::current_device();
    for (const std::int64_t m : {std::int64_t{5}, std::int64_t{300}}) {
        const auto x = bf16_rows(m, k, static_cast<std::uint32_t>(52 + m));
        std::vector<std::uint16_t> y_host(static_cast<std::size_t>(m * n));
        Kernel::apply(p, {x.data(), dtype::bf16, m, k}, {y_host.data(), dtype::bf16, m, n});
        for (const std::int64_t x_stride : {k + 1, k + 4}) {
            SCOPED_TRACE(::testing::Message() << "M=" << m << " x stride " << x_stride);
            const std::int64_t y_stride = n + 3;
            device_buffer dx, dy;
            dx.reserve(static_cast<std::size_t>(m * x_stride) * 2, d);
            dy.reserve(static_cast<std::size_t>(m * y_stride) * 2, d);
            cuda_runtime::copy_rows(dx.data(), static_cast<std::size_t>(x_stride) * 2, x.data(), static_cast<std::size_t>(k) * 2,
                                    static_cast<std::size_t>(k) * 2, static_cast<std::size_t>(m), nullptr);
            Kernel::apply(p, {dx.data(), dtype::bf16, m, k, x_stride, d}, {dy.data(), dtype::bf16, m, n, y_stride, d});
            std::vector<std::uint16_t> y(static_cast<std::size_t>(m * n));
            cuda_runtime::copy_rows(y.data(), static_cast<std::size_t>(n) * 2, dy.data(), static_cast<std::size_t>(y_stride) * 2,
                                    static_cast<std::size_t>(n) * 2, static_cast<std::size_t>(m), nullptr);
            cuda_runtime::synchronize(nullptr);
            EXPECT_EQ(y, y_host);
        }
        // every row of the large batch is the row computed alone (the decode kernel)
        if (m > 16) {
            for (const std::int64_t r : {std::int64_t{0}, std::int64_t{129}, m - 1}) {
                std::vector<std::uint16_t> one(static_cast<std::size_t>(n));
                Kernel::apply(p, {x.data() + r * k, dtype::bf16, 1, k}, {one.data(), dtype::bf16, 1, n});
                EXPECT_TRUE(std::equal(one.begin(), one.end(), y_host.begin() + r * n)) << "row " << r << " alone differs from the batch of " << m;
            }
        }
    }
}

TYPED_TEST(CudaDevice, ActivationCodesAndScalesAreTheCpus) {
    MICROSCALE_NEED_DEVICE()
    using F = typename TypeParam::format_type;
    if constexpr (!TypeParam::activation_type::quantized) {
        GTEST_SKIP() << "a16: activations are not quantized";
    } else {
        using rules = format::block_rules<F>;
        const std::int64_t m = 7, k = 40 * F::block_size;
        auto x = bf16_rows(m, k, 21);
        x[3] = 0;  // a zero, and a whole zero block
        for (int i = 0; i < F::block_size; ++i) x[static_cast<std::size_t>(k + i)] = 0;
        const float input_scale = 20.0f / 2688.0f;
        const auto params = rules::activation_params_from(input_scale, "x");

        device_buffer dx, dout;
        backend::cuda_detail::linear_launch L;
        L.x = upload(dx, x);
        L.x_type = dtype::bf16;
        L.m = m;
        L.k = k;
        L.x_stride = k;
        if constexpr (F::has_global_scale) {
            L.g = params.g;
        } else {
            L.mx_rule = static_cast<int>(params.rule);
        }
        dout.reserve(static_cast<std::size_t>(m * k) * 2, cuda_runtime::current_device());
        backend::cuda_detail::quantize_activations_to_bf16<F>(L, dout.data());
        cuda_runtime::check_launch("quantize_activations_to_bf16");
        const auto got = download<std::uint16_t>(dout, static_cast<std::size_t>(m * k));

        std::vector<float> row(static_cast<std::size_t>(k)), dq(static_cast<std::size_t>(k));
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(k)), scales(static_cast<std::size_t>(k / F::block_size));
        std::size_t mismatches = 0;
        for (std::int64_t r = 0; r < m; ++r) {
            for (std::int64_t i = 0; i < k; ++i) row[static_cast<std::size_t>(i)] = numeric::bf16::decode(x[static_cast<std::size_t>(r * k + i)]);
            format::qdq_row<F>(row.data(), k, params, codes.data(), scales.data(), dq.data());
            for (std::int64_t i = 0; i < k; ++i) {
                // element · block scale, exact in bf16 (the global 1/g is applied to the sum)
                const float want = F::element::decode(codes[static_cast<std::size_t>(i)]) * F::scale::decode(scales[static_cast<std::size_t>(i / F::block_size)]);
                const float have = numeric::bf16::decode(got[static_cast<std::size_t>(r * k + i)]);
                if (!(want == have) && mismatches++ < 5) ADD_FAILURE() << "x''[" << r << ", " << i << "] = " << have << ", CPU " << want;
            }
        }
        EXPECT_EQ(mismatches, 0u);
    }
}

TYPED_TEST(CudaDevice, DequantizedWeightIsTheReferenceDecodeInBf16) {
    MICROSCALE_NEED_DEVICE()
    using F = typename TypeParam::format_type;
    const std::int64_t n = 37, k = 9 * 32;
    const random_weight rw = make_random_weight<F>(n, k, 41);
    const std::vector<double> w = reference_weight_values<F>(rw);  // element · scale · G in fp64
    device_buffer codes, scales, out;
    upload(codes, rw.weight.codes);
    upload(scales, rw.weight.scales);  // linear layout
    out.reserve(static_cast<std::size_t>(n * k) * 2, cuda_runtime::current_device());
    backend::cuda_detail::dequantize_to_bf16<F>(static_cast<const std::uint8_t*>(codes.data()), static_cast<const std::uint8_t*>(scales.data()), n, k,
                                                rw.weight.global_scale, out.data(), nullptr);
    cuda_runtime::check_launch("dequantize_to_bf16");
    const auto got = download<std::uint16_t>(out, static_cast<std::size_t>(n * k));
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        // one rounding to bf16 (unit roundoff 2^-8) of element · fl32(scale · G), itself within 2^-23 of the fp64 value
        const double have = numeric::bf16::decode(got[i]);
        if (!(std::fabs(have - w[i]) <= 0x1p-8 * std::fabs(w[i]) * (1 + 1e-6)) && mismatches++ < 5)
            ADD_FAILURE() << "w[" << i / static_cast<std::size_t>(k) << ", " << i % static_cast<std::size_t>(k) << "] = " << have << ", reference " << w[i];
    }
    EXPECT_EQ(mismatches, 0u);
}

TYPED_TEST(CudaDevice, LargeProblemWithinTheBoundOfAnFp64Reference) {
    MICROSCALE_NEED_DEVICE()
    using Kernel = TypeParam;
    using F = typename Kernel::format_type;
    // many 128-wide chunks and several ranges of K; a decode batch (ranges in the grid) and a
    // prefill batch (ranges in the warp) whose rows must agree bitwise
    const std::int64_t n = 1000, k = 4096;
    random_weight rw = make_random_weight<F>(n, k, 31);
    const auto x = bf16_rows(40, k, 32);
    float amax = 0.0f;
    for (const auto v : x) amax = std::max(amax, std::fabs(numeric::bf16::decode(v)));
    rw.weight.input_scale = amax / 2688.0f;
    const auto p = Kernel::prepare(rw.weight);
    std::vector<std::uint16_t> y40(static_cast<std::size_t>(40 * n)), y3(static_cast<std::size_t>(3 * n));
    Kernel::apply(p, {x.data(), dtype::bf16, 40, k}, {y40.data(), dtype::bf16, 40, n});
    Kernel::apply(p, {x.data(), dtype::bf16, 3, k}, {y3.data(), dtype::bf16, 3, n});
    EXPECT_TRUE(std::equal(y3.begin(), y3.end(), y40.begin())) << "rows 0-2 differ between M=3 and M=40";

    const std::vector<double> w = reference_weight_values<F>(rw);
    std::size_t failures = 0;
    for (const std::int64_t r : {std::int64_t{0}, std::int64_t{2}, std::int64_t{39}}) {
        std::vector<float> row(static_cast<std::size_t>(k));
        for (std::int64_t i = 0; i < k; ++i) row[static_cast<std::size_t>(i)] = numeric::bf16::decode(x[static_cast<std::size_t>(r * k + i)]);
        std::vector<double> a(row.begin(), row.end());
        if constexpr (Kernel::activation_type::quantized) a = reference_qdq_row<F>(row, *rw.weight.input_scale);
        for (std::int64_t c = 0; c < n; ++c) {
            double exact = 0.0, sum_abs = 0.0;
            for (std::int64_t i = 0; i < k; ++i) {
                const double t = a[static_cast<std::size_t>(i)] * w[static_cast<std::size_t>(c * k + i)];
                exact += t;
                sum_abs += std::fabs(t);
            }
            const double got = numeric::bf16::decode(y40[static_cast<std::size_t>(r * n + c)]);
            const double bound = accumulation_bound(backend::cuda::accumulation_additions(k, dtype::bf16), sum_abs * (1 + 1e-12), exact, dtype::bf16, 4,
                                                    backend::cuda::accumulation_unit_roundoff);
            if (!(std::fabs(got - exact) <= bound) && failures++ < 5)
                ADD_FAILURE() << "y[" << r << ", " << c << "] = " << got << ", exact " << exact << ", bound " << bound;
        }
    }
    EXPECT_EQ(failures, 0u);
}

}  // namespace
}  // namespace microscale::test
