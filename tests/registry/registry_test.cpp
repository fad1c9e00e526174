// The runtime table: names generated from the manifest, aliases, environment overrides, and errors
// that name what is wrong.
#include <gtest/gtest.h>

#include <concepts>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/backend/emulation.hpp"
#include "microscale/detail/glob.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/registry.hpp"
#include "support/reference.hpp"

namespace ms = microscale;

namespace {
ms::selection select(const std::string& scheme, ms::selection_options options = {}, ms::linear_shape shape = {1, 64, 256, ms::dtype::bf16, false}) {
    return ms::select_kernel(scheme, shape, ms::kernel_table(), ms::scheme_aliases(), options);
}
}  // namespace

TEST(Registry, TableNamesAreTheCanonicalFunctionOfThePolicies) {
    ASSERT_FALSE(ms::kernel_table().empty());
    std::set<std::string> names;
    for (const auto& e : ms::kernel_table()) {
        const bool aq = e.activation == "aq";
        EXPECT_EQ(e.name, ms::make_kernel_name(e.format, aq, e.layout, e.backend).view());
        EXPECT_EQ(e.scheme, ms::make_scheme_name(e.format, aq).view());
        EXPECT_TRUE(names.insert(std::string(e.name)).second) << "duplicate " << e.name;
    }
    // every scheme of DESIGN.md §5 is present
    for (const char* scheme : {"w_nvfp4_a_nvfp4", "w_nvfp4", "w_mxfp4_a_mxfp4", "w_mxfp4", "w_mxfp6_e3m2_a_mxfp6_e3m2", "w_mxfp6_e3m2",
                               "w_mxfp6_e2m3_a_mxfp6_e2m3", "w_mxfp6_e2m3"}) {
        EXPECT_EQ(select(scheme).scheme, scheme);
    }
}

TEST(Registry, AliasesResolveCaseInsensitively) {
    EXPECT_EQ(select("NVFP4").scheme, "w_nvfp4_a_nvfp4");
    EXPECT_EQ(select("nvfp4").scheme, "w_nvfp4_a_nvfp4");
    EXPECT_EQ(select("modelopt_fp4").scheme, "w_nvfp4_a_nvfp4");
    EXPECT_EQ(select("nvfp4-pack-quantized").scheme, "w_nvfp4_a_nvfp4");
    EXPECT_EQ(select("W4A16_NVFP4").scheme, "w_nvfp4");
    EXPECT_EQ(select("NVFP4A16").scheme, "w_nvfp4");
    EXPECT_EQ(select("mxfp4").scheme, "w_mxfp4");
    EXPECT_EQ(select("W_MXFP4_A_MXFP4").scheme, "w_mxfp4_a_mxfp4");
}

TEST(Registry, UnknownSchemeListsTheKnownOnes) {
    try {
        select("int4_awq");
        FAIL() << "accepted";
    } catch (const ms::unknown_scheme& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("unknown quantization scheme 'int4_awq'"), std::string::npos) << what;
        for (const char* known : {"w_nvfp4_a_nvfp4", "w_mxfp6_e2m3", "NVFP4", "W4A16_NVFP4", "nvfp4-pack-quantized"})
            EXPECT_NE(what.find(known), std::string::npos) << known << " missing from: " << what;
    }
}

TEST(Registry, PriorityAndReasons) {
    const auto s = select("w_mxfp4_a_mxfp4");
    ASSERT_NE(s.kernel, nullptr);
    // the first kernel of the scheme in manifest order wins; every other one says why not
    const ms::kernel_entry* first = nullptr;
    for (const auto& e : ms::kernel_table())
        if (e.scheme == "w_mxfp4_a_mxfp4") {
            first = &e;
            break;
        }
    EXPECT_EQ(s.kernel, first);
    for (const auto& r : s.rejected) EXPECT_FALSE(r.reason.empty()) << r.kernel->name;
}

TEST(Registry, ForcedBackendAndDisabledKernels) {
    ms::selection_options o;
    o.forced_backend = "emulation";
    EXPECT_EQ(select("NVFP4", o).kernel->backend, "emulation");
    o.forced_backend = "tpu";
    try {
        select("NVFP4", o);
        FAIL() << "accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("MICROSCALE_LINEAR_BACKEND='tpu' is not a backend"), std::string::npos) << e.what();
    }
    ms::selection_options d;
    d.disabled_globs = {"*.simd"};
    EXPECT_EQ(select("w_nvfp4", d).kernel->name, "w_nvfp4.stored.emulation");
    d.disabled_globs = {"w_nvfp4.*"};
    try {
        select("w_nvfp4", d);
        FAIL() << "accepted";
    } catch (const ms::no_kernel& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("no kernel can run scheme w_nvfp4"), std::string::npos) << what;
        for (const auto& entry : ms::kernel_table()) {
            if (entry.scheme != "w_nvfp4") continue;
            EXPECT_NE(what.find(std::string(entry.name) + ": disabled"), std::string::npos) << what;
        }
    }
    ms::selection_options k;
    k.forced_kernel = "w_nvfp4.stored.emulation";
    EXPECT_EQ(select("w_nvfp4", k).kernel->name, "w_nvfp4.stored.emulation");
    k.forced_kernel = "w_nvfp4.nonsense";
    EXPECT_THROW(select("w_nvfp4", k), std::invalid_argument);
    // a name from before the layout slot meant "the layout the kernel reads": unknown, the known ones listed
    k.forced_kernel = "w_nvfp4.swizzled_128x4.emulation";
    try {
        select("w_nvfp4", k);
        FAIL() << "accepted";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("unknown kernel 'w_nvfp4.swizzled_128x4.emulation'; known:"), std::string::npos) << what;
        EXPECT_NE(what.find(" w_nvfp4.stored.emulation"), std::string::npos) << what;
    }
}

TEST(Registry, CompiledKernelsTakeAnyStoredLayout) {
    for (const auto& e : ms::kernel_table()) EXPECT_EQ(e.layout, "stored") << e.name;
    ms::linear_shape swizzled{1, 64, 256, ms::dtype::bf16, false, ms::layout::layout_id::swizzled_128x4};
    for (const char* scheme : {"w_nvfp4_a_nvfp4", "w_nvfp4", "w_mxfp4_a_mxfp4", "w_mxfp6_e2m3"})
        EXPECT_EQ(select(scheme, {}, swizzled).kernel, select(scheme).kernel) << scheme;
    // create_linear selects with the weight's stored layout
    auto rw = ms::test::make_random_weight<ms::format::mxfp4>(16, 64, 4);
    ms::quantized_weight sw = rw.weight;
    sw.scales = ms::layout::pack_scales<ms::layout::swizzled_128x4>(rw.scales, 16, 2);
    sw.scale_layout = ms::layout::layout_id::swizzled_128x4;
    EXPECT_EQ(ms::create_linear("w_mxfp4", sw, ms::dtype::f32, {})->kernel_name(), select("w_mxfp4").kernel->name);
}

namespace {
// Stands in for a backend whose inner loop reads swizzled_128x4 scales natively (as CUTLASS does):
// it keeps the layout slot. (Its arithmetic is the emulation backend's.)
struct native_swizzled {
    static constexpr std::string_view name = "native";
    static ms::support is_supported() { return ms::support::yes(); }
    template <class F, class A, class L>
    static constexpr bool supports = std::same_as<L, ms::layout::swizzled_128x4>;
    template <class F, class A, class L>
    struct impl : ms::backend::emulation::impl<F, A, ms::layout::stored> {};
};
using native_kernel = ms::linear_kernel<ms::format::mxfp4, ms::activation::a16, ms::layout::swizzled_128x4, native_swizzled>;
using cpu_kernel = ms::linear_kernel<ms::format::mxfp4, ms::activation::a16, ms::layout::stored, ms::backend::emulation>;
}  // namespace

TEST(Registry, AConcreteLayoutSlotMatchesOnlyWeightsStoredInIt) {
    EXPECT_EQ(native_kernel::name, "w_mxfp4.swizzled_128x4.native");
    const ms::kernel_entry table[] = {ms::make_entry<native_kernel>(), ms::make_entry<cpu_kernel>()};
    const auto pick = [&](ms::layout::layout_id stored, const ms::selection_options& o = {}) {
        return ms::select_kernel<ms::kernel_entry>("w_mxfp4", {1, 16, 64, ms::dtype::f32, false, stored}, table, ms::scheme_aliases(), o);
    };
    EXPECT_EQ(pick(ms::layout::layout_id::swizzled_128x4).kernel->name, native_kernel::name);
    const auto linear = pick(ms::layout::layout_id::linear);
    EXPECT_EQ(linear.kernel->name, cpu_kernel::name);
    ASSERT_EQ(linear.rejected.size(), 1u);
    EXPECT_EQ(linear.rejected[0].reason, "reads swizzled_128x4 scales; the weight's are stored linear");
    ms::selection_options forced;
    forced.forced_kernel = std::string(native_kernel::name);
    try {
        pick(ms::layout::layout_id::linear, forced);
        FAIL() << "a linear weight selected a kernel that reads swizzled scales";
    } catch (const ms::no_kernel& e) {
        EXPECT_NE(std::string(e.what()).find("w_mxfp4.swizzled_128x4.native: reads swizzled_128x4 scales"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(ms::layout::slot_reads("stored", ms::layout::layout_id::swizzled_128x4));
    EXPECT_TRUE(ms::layout::slot_reads("linear", ms::layout::layout_id::linear));
    EXPECT_FALSE(ms::layout::slot_reads("linear", ms::layout::layout_id::swizzled_128x4));

    // prepare() holds the kernel to its layout too; stored as it reads them, the results are the CPU kernel's
    auto rw = ms::test::make_random_weight<ms::format::mxfp4>(16, 64, 5);
    try {
        (void)native_kernel::prepare(rw.weight);
        FAIL() << "prepared a linear weight";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("has its scales stored linear; this kernel reads swizzled_128x4 scales only"), std::string::npos)
            << e.what();
    }
    ms::quantized_weight sw = rw.weight;
    sw.scales = ms::layout::pack_scales<ms::layout::swizzled_128x4>(rw.scales, 16, 2);
    sw.scale_layout = ms::layout::layout_id::swizzled_128x4;
    std::vector<float> x(2 * 64), y_native(2 * 16), y_cpu(2 * 16);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 13) - 6) / 8.0f;
    native_kernel::apply(native_kernel::prepare(sw), {x.data(), ms::dtype::f32, 2, 64}, {y_native.data(), ms::dtype::f32, 2, 16});
    cpu_kernel::apply(cpu_kernel::prepare(rw.weight), {x.data(), ms::dtype::f32, 2, 64}, {y_cpu.data(), ms::dtype::f32, 2, 16});
    EXPECT_EQ(y_native, y_cpu);
}

TEST(Registry, ShapeItCannotDoCarriesEveryReason) {
    try {
        select("w_mxfp4", {}, {1, 64, 48, ms::dtype::bf16, false});
        FAIL() << "accepted K=48 for MXFP4";
    } catch (const ms::no_kernel& e) {
        EXPECT_NE(std::string(e.what()).find("K=48 is not a multiple of the mxfp4 block size 32"), std::string::npos) << e.what();
    }
}

TEST(Registry, EnvironmentIsRead) {
    ::setenv("MICROSCALE_LINEAR_BACKEND", "emulation", 1);
    ::setenv("MICROSCALE_DISABLED_KERNELS", " w_nvfp4.stored.* , *.simd", 1);
    const auto o = ms::selection_options::from_environment();
    ::unsetenv("MICROSCALE_LINEAR_BACKEND");
    ::unsetenv("MICROSCALE_DISABLED_KERNELS");
    EXPECT_EQ(o.forced_backend, "emulation");
    ASSERT_EQ(o.disabled_globs.size(), 2u);
    EXPECT_EQ(o.disabled_globs[0], "w_nvfp4.stored.*");
    EXPECT_EQ(o.disabled_globs[1], "*.simd");
}

TEST(Registry, CreateLinearRunsTheSelectedKernel) {
    auto rw = ms::test::make_random_weight<ms::format::mxfp4>(16, 64, 4);
    const auto layer = ms::create_linear("w_mxfp4", rw.weight, ms::dtype::f32, {});
    EXPECT_EQ(layer->kernel_name(), select("w_mxfp4").kernel->name);
    EXPECT_EQ(layer->out_features(), 16);
    EXPECT_EQ(layer->in_features(), 64);
    std::vector<float> x(64, 1.0f), y(16);
    layer->apply({x.data(), ms::dtype::f32, 1, 64}, {y.data(), ms::dtype::f32, 1, 16});
    // y[n] = sum_k w[n, k]: compare with the exact sum
    const auto w = ms::test::reference_weight_values<ms::format::mxfp4>(rw);
    for (int n = 0; n < 16; ++n) {
        double exact = 0;
        for (int k = 0; k < 64; ++k) exact += w[static_cast<std::size_t>(n * 64 + k)];
        EXPECT_EQ(static_cast<double>(y[static_cast<std::size_t>(n)]), exact);  // small sums of powers of two: exact
    }
    // a weight in the wrong format for the scheme is named
    EXPECT_THROW(ms::create_linear("NVFP4", rw.weight, ms::dtype::f32, {}), std::invalid_argument);
}

TEST(Glob, FnmatchSemantics) {
    using ms::detail::glob_match;
    EXPECT_TRUE(glob_match("model.layers.3*", "model.layers.3.mlp"));
    EXPECT_TRUE(glob_match("model.layers.3*", "model.layers.30"));
    EXPECT_TRUE(glob_match("*lm_head*", "lm_head"));
    EXPECT_TRUE(glob_match("*.mlp.gate", "model.layers.0.mlp.gate"));
    EXPECT_FALSE(glob_match("*.mlp.gate", "model.layers.0.mlp.gate_proj"));
    EXPECT_TRUE(glob_match("layer.?.q", "layer.7.q"));
    EXPECT_FALSE(glob_match("layer.?.q", "layer.17.q"));
    EXPECT_TRUE(glob_match("w_[!m]*", "w_nvfp4"));
    EXPECT_FALSE(glob_match("w_[!m]*", "w_mxfp4"));
    EXPECT_TRUE(glob_match("[a-c]x", "bx"));
    EXPECT_TRUE(glob_match("a[b", "a[b"));  // an unclosed bracket is literal
    EXPECT_TRUE(glob_match("", ""));
    EXPECT_FALSE(glob_match("", "a"));
    EXPECT_TRUE(glob_match("**", ""));
    EXPECT_FALSE(glob_match("Lm_head", "lm_head"));  // case-sensitive, as on POSIX
}
