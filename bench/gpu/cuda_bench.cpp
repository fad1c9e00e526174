// microscale_gpu_bench: the cuda backend's linear kernels against same-run probes on one GPU.
//
//   probes     device copy bandwidth (cudaMemcpy device to device, and a plain 16-byte copy kernel as
//              its cross-check; bytes read + written), cuBLAS bf16 GEMM (fp32 accumulation) on the
//              same shapes: the dense peer
//   emulation  what engines do today: quantize-dequantize x (aq), dequantize W to bf16, cuBLAS GEMM
//   microscale the cuda kernels, device memory, value check off (as an engine calls them)
// Every time is the median of 25 back-to-back calls timed with events (after 5 warm-ups), the
// weights rotating among enough copies to exceed the L2 cache. Prints a CSV (--csv FILE) and a
// short table last.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "microscale/generated/kernel_declarations.hpp"

namespace microscale::bench_gpu {
void plain_copy(const void* in, void* out, std::size_t bytes, int multiprocessors, cudaStream_t stream);
}

namespace {

using namespace microscale;
namespace cuda_runtime = backend::cuda_runtime;
using cuda_runtime::device_buffer;

template <class F, class A>
using cuda_kernel = linear_kernel<F, A, layout::stored, backend::cuda>;
/// Every format, W4A4-style (aq) and weight-only (a16).
using microscale_cuda_kernels = boost::mp11::mp_product<cuda_kernel, format::all_formats, boost::mp11::mp_list<activation::aq, activation::a16>>;

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) {
        std::fprintf(stderr, "CUDA error in %s: %s\n", what, cudaGetErrorString(e));
        std::exit(1);
    }
}
void check(cublasStatus_t e, const char* what) {
    if (e != CUBLAS_STATUS_SUCCESS) {
        std::fprintf(stderr, "cuBLAS error %d in %s\n", static_cast<int>(e), what);
        std::exit(1);
    }
}

/// Median time in microseconds of `reps` calls of f(i), each timed with events.
template <class F>
double median_us(F&& f, cudaStream_t stream, int reps = 25) {
    for (int i = 0; i < 5; ++i) f(i);
    check(cudaStreamSynchronize(stream), "warm-up");
    std::vector<cudaEvent_t> ev(static_cast<std::size_t>(reps + 1));
    for (auto& e : ev) check(cudaEventCreate(&e), "cudaEventCreate");
    check(cudaEventRecord(ev[0], stream), "record");
    for (int i = 0; i < reps; ++i) {
        f(i);
        check(cudaEventRecord(ev[static_cast<std::size_t>(i + 1)], stream), "record");
    }
    check(cudaEventSynchronize(ev.back()), "sync");
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        float ms = 0;
        check(cudaEventElapsedTime(&ms, ev[static_cast<std::size_t>(i)], ev[static_cast<std::size_t>(i + 1)]), "elapsed");
        t.push_back(ms * 1000.0);
    }
    for (auto& e : ev) cudaEventDestroy(e);
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

/// A random weight of format F: any packed codes, positive finite block scales of moderate size.
template <class F>
quantized_weight random_weight(std::int64_t n, std::int64_t k, std::uint32_t seed) {
    quantized_weight q;
    q.format = std::string(F::name);
    q.rows = n;
    q.cols = k;
    std::mt19937_64 rng(seed);
    q.codes.resize(static_cast<std::size_t>(n * format::packed_row_bytes<F>(k)));
    for (std::size_t i = 0; i < q.codes.size(); i += 8) {
        const std::uint64_t r = rng();
        std::memcpy(q.codes.data() + i, &r, std::min<std::size_t>(8, q.codes.size() - i));
    }
    q.scales.resize(static_cast<std::size_t>(n * (k / F::block_size)));
    for (auto& s : q.scales) s = static_cast<std::uint8_t>(F::has_global_scale ? 0x30 + rng() % 16 : 120 + rng() % 8);
    if constexpr (F::has_global_scale) q.global_scale = 1.0f / 448.0f;
    q.input_scale = 4.0f / 2688.0f;
    return q;
}

struct row {
    std::string kernel;
    std::int64_t n, k, m;
    double us, graph_us, peer_us, dense_us, weight_bytes, rel_error;
};

/// Time per call of `calls` calls of f(i) captured in one CUDA graph (no host work between them):
/// the median over 7 replays.
template <class F>
double graph_us(F&& f, cudaStream_t stream, int calls = 20) {
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed), "begin capture");
    for (int i = 0; i < calls; ++i) f(i);
    check(cudaStreamEndCapture(stream, &graph), "end capture");
    check(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
    const double us = median_us([&](int) { check(cudaGraphLaunch(exec, stream), "graph launch"); }, stream, 7) / calls;
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    return us;
}

struct context {
    cudaStream_t stream{};
    cublasHandle_t blas{};
    int sms = 0;
    double copy_gbps = 0;
    int device = 0;
};

double dense_us(context& c, std::int64_t m, std::int64_t n, std::int64_t k, const void* x, const void* w, void* y) {
    const float alpha = 1.0f, beta = 0.0f;
    return median_us(
        [&](int) {
            check(cublasGemmEx(c.blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, w, CUDA_R_16BF,
                               static_cast<int>(k), x, CUDA_R_16BF, static_cast<int>(k), &beta, y, CUDA_R_16BF, static_cast<int>(n), CUBLAS_COMPUTE_32F,
                               CUBLAS_GEMM_DEFAULT),
                  "cublasGemmEx");
        },
        c.stream);
}

template <class Kernel>
std::vector<row> run_kernel(context& c, std::int64_t n, std::int64_t k, const std::vector<std::int64_t>& batches) {
    using F = typename Kernel::format_type;
    constexpr bool aq = Kernel::activation_type::quantized;
    std::vector<row> out;
    const quantized_weight first = random_weight<F>(n, k, 1);
    const double weight_bytes = static_cast<double>(first.codes.size() + first.scales.size());
    const int copies = static_cast<int>(std::clamp(std::ceil(240e6 / weight_bytes), 1.0, 8.0));
    std::vector<typename Kernel::prepared> weights;
    weights.push_back(Kernel::prepare(first));
    for (int i = 1; i < copies; ++i) weights.push_back(Kernel::prepare(random_weight<F>(n, k, static_cast<std::uint32_t>(i + 1))));

    const std::int64_t m_max = *std::max_element(batches.begin(), batches.end());
    std::vector<std::uint16_t> xh(static_cast<std::size_t>(m_max * k));
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& v : xh) v = numeric::bf16::encode(normal(rng));
    device_buffer x, y, y_peer, w_bf16, x_bf16;
    cuda_runtime::copy(x.reserve(xh.size() * 2, c.device), xh.data(), xh.size() * 2, nullptr);
    y.reserve(static_cast<std::size_t>(m_max * n) * 2, c.device);
    y_peer.reserve(static_cast<std::size_t>(m_max * n) * 2, c.device);
    w_bf16.reserve(static_cast<std::size_t>(n * k) * 2, c.device);
    x_bf16.reserve(static_cast<std::size_t>(m_max * k) * 2, c.device);
    cuda_runtime::synchronize(nullptr);

    for (const std::int64_t m : batches) {
        apply_options o;
        o.stream = c.stream;
        o.device_value_check = false;
        const const_matrix_view xv{x.data(), dtype::bf16, m, k, 0, c.device};
        const matrix_view yv{y.data(), dtype::bf16, m, n, 0, c.device};
        auto call = [&](int i) { Kernel::apply(weights[static_cast<std::size_t>(i % copies)], xv, yv, nullptr, o); };
        const double us = median_us(call, c.stream);
        const double in_graph = graph_us(call, c.stream);

        // the emulation peer: every call dequantizes the whole weight, (aq) quantize-dequantizes x
        const auto& p0 = weights[0];
        const float factor = [&] {
            if constexpr (aq && F::has_global_scale) return p0.global / p0.activation.g;
            return p0.global;
        }();
        auto peer = [&](int i) {
            const auto& p = weights[static_cast<std::size_t>(i % copies)];
            backend::cuda_detail::dequantize_to_bf16<F>(static_cast<const std::uint8_t*>(p.codes.data()), static_cast<const std::uint8_t*>(p.scales.data()), n,
                                                       k, 1.0f, w_bf16.data(), c.stream);
            const void* a = x.data();
            if constexpr (aq) {
                backend::cuda_detail::linear_launch L;
                L.x = x.data();
                L.x_type = dtype::bf16;
                L.m = m;
                L.k = k;
                L.x_stride = k;
                L.stream = c.stream;
                if constexpr (F::has_global_scale) {
                    L.g = p.activation.g;
                } else {
                    L.mx_rule = static_cast<int>(p.activation.rule);
                }
                backend::cuda_detail::quantize_activations_to_bf16<F>(L, x_bf16.data());
                a = x_bf16.data();
            }
            const float beta = 0.0f;
            check(cublasGemmEx(c.blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &factor, w_bf16.data(),
                               CUDA_R_16BF, static_cast<int>(k), a, CUDA_R_16BF, static_cast<int>(k), &beta, y_peer.data(), CUDA_R_16BF, static_cast<int>(n),
                               CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                  "cublasGemmEx (peer)");
        };
        const double peer_us = median_us(peer, c.stream);
        // the same call once more on weights[0] for both, to compare their outputs
        Kernel::apply(weights[0], xv, yv, nullptr, o);
        peer(0);
        check(cudaStreamSynchronize(c.stream), "sync");
        std::vector<std::uint16_t> a(static_cast<std::size_t>(m * n)), b(a.size());
        cuda_runtime::copy(a.data(), y.data(), a.size() * 2, nullptr);
        cuda_runtime::copy(b.data(), y_peer.data(), b.size() * 2, nullptr);
        cuda_runtime::synchronize(nullptr);
        double num = 0, den = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double d = numeric::bf16::decode(a[i]) - static_cast<double>(numeric::bf16::decode(b[i]));
            num += d * d;
            den += static_cast<double>(numeric::bf16::decode(b[i])) * numeric::bf16::decode(b[i]);
        }
        const double dense = dense_us(c, m, n, k, x.data(), w_bf16.data(), y_peer.data());
        out.push_back({std::string(Kernel::name), n, k, m, us, in_graph, peer_us, dense, weight_bytes, std::sqrt(num / std::max(den, 1e-30))});
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string csv;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--csv" && i + 1 < argc) csv = argv[++i];
        if (std::string(argv[i]) == "--quick") quick = true;
    }
    if (cuda_runtime::device_count() == 0) {
        std::printf("microscale_gpu_bench: %s\n", cuda_runtime::no_device_reason().c_str());
        return 1;
    }
    context c;
    c.device = cuda_runtime::current_device();
    c.sms = cuda_runtime::multiprocessors(c.device);
    check(cudaStreamCreate(&c.stream), "cudaStreamCreate");
    check(cublasCreate(&c.blas), "cublasCreate");
    check(cublasSetStream(c.blas, c.stream), "cublasSetStream");
    std::printf("device: %s\n", cuda_runtime::device_description(c.device).c_str());

    // copy bandwidth: 1 GiB, bytes read + written, by cudaMemcpy and by a plain kernel
    {
        const std::size_t bytes = std::size_t{1} << 30;
        device_buffer a, b;
        a.reserve(bytes, c.device);
        b.reserve(bytes, c.device);
        check(cudaMemset(a.data(), 1, bytes), "memset");
        const double memcpy_us =
            median_us([&](int) { check(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, c.stream), "memcpy"); }, c.stream, 10);
        const double kernel_us = median_us([&](int) { microscale::bench_gpu::plain_copy(a.data(), b.data(), bytes, c.sms, c.stream); }, c.stream, 10);
        const double memcpy_gbps = 2.0 * static_cast<double>(bytes) / memcpy_us / 1e3, kernel_gbps = 2.0 * static_cast<double>(bytes) / kernel_us / 1e3;
        c.copy_gbps = std::max(memcpy_gbps, kernel_gbps);
        std::printf("probe copy: cudaMemcpy %.0f GB/s, plain kernel %.0f GB/s (read + written)\n", memcpy_gbps, kernel_gbps);
    }
    // cuBLAS bf16 peak on a large square product, as a plausibility check of the dense peer
    {
        const std::int64_t s = 8192;
        device_buffer a, b, d;
        std::vector<std::uint16_t> h(static_cast<std::size_t>(s * s));
        std::mt19937 rng(3);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (auto& v : h) v = numeric::bf16::encode(normal(rng));
        cuda_runtime::copy(a.reserve(h.size() * 2, c.device), h.data(), h.size() * 2, nullptr);
        cuda_runtime::copy(b.reserve(h.size() * 2, c.device), h.data(), h.size() * 2, nullptr);
        d.reserve(h.size() * 2, c.device);
        cuda_runtime::synchronize(nullptr);
        const double us = dense_us(c, s, s, s, a.data(), b.data(), d.data());
        std::printf("probe cuBLAS bf16 8192^3: %.0f TFLOP/s\n", 2.0 * static_cast<double>(s * s * s) / us / 1e6);
    }

    std::vector<std::pair<std::int64_t, std::int64_t>> shapes = {{14336, 4096}, {4096, 14336}, {4096, 4096}};
    std::vector<std::int64_t> batches = {1, 16, 128, 2048};
    if (quick) shapes.resize(1);
    std::vector<row> rows;
    boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, microscale_cuda_kernels>>([&](auto t) {
        using Kernel = typename decltype(t)::type;
        for (const auto& [n, k] : shapes) {
            auto r = run_kernel<Kernel>(c, n, k, batches);
            rows.insert(rows.end(), r.begin(), r.end());
        }
    });

    if (!csv.empty()) {
        if (FILE* f = std::fopen(csv.c_str(), "w")) {
            std::fprintf(f, "kernel,N,K,M,us,graph_us,emulation_us,cublas_bf16_us,weight_bytes,rel_diff_vs_emulation\n");
            for (const auto& r : rows)
                std::fprintf(f, "%s,%lld,%lld,%lld,%.2f,%.2f,%.2f,%.2f,%.0f,%.3g\n", r.kernel.c_str(), static_cast<long long>(r.n),
                             static_cast<long long>(r.k), static_cast<long long>(r.m), r.us, r.graph_us, r.peer_us, r.dense_us, r.weight_bytes, r.rel_error);
            std::fclose(f);
        }
    }
    std::printf("\n%-38s %11s %5s %8s %8s %6s %8s %7s %8s %7s %8s\n", "kernel", "N x K", "M", "us", "graph us", "%copy", "emul us", "x emul",
                "cuBLAS", "x cuBLAS", "rel diff");
    for (const auto& r : rows) {
        const double best = std::min(r.us, r.graph_us);
        const double pct = 100.0 * r.weight_bytes / best / 1e3 / c.copy_gbps;
        std::printf("%-38s %5lldx%-5lld %5lld %8.1f %8.1f %5.1f%% %8.1f %7.1f %8.1f %7.2f %8.2g\n", r.kernel.c_str(), static_cast<long long>(r.n),
                    static_cast<long long>(r.k), static_cast<long long>(r.m), r.us, r.graph_us, pct, r.peer_us, r.peer_us / best, r.dense_us,
                    r.dense_us / best, r.rel_error);
    }
    std::printf("(us: back-to-back calls; graph us: the same calls replayed from a CUDA graph; %%copy: checkpoint weight bytes per call\n"
                " over the copy probe's %.0f GB/s; x emul, x cuBLAS: their time over microscale's best; rel diff: ||y - y_emul|| / ||y_emul||)\n",
                c.copy_gbps);
    return 0;
}
