// `microscale demo`: the README's first command.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include "commands.hpp"
#include "microscale/numeric/numeric.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

template <class Codec>
void show_codec(const std::vector<float>& samples) {
    std::printf("  %-5s max %-8g", std::string(Codec::name).c_str(),
                static_cast<double>(Codec::max_finite()));
    for (const float x : samples) {
        const auto code = Codec::encode(x);
        std::printf(" %8g->%-8g", static_cast<double>(x), static_cast<double>(Codec::decode(code)));
    }
    std::printf("\n");
}

}  // namespace

int run_demo(const std::vector<std::string>& args) {
    po::options_description options("demo");
    po::variables_map values;
    if (!parse_options("demo", args, options, values)) return 0;

    std::printf("microscale demo: element codecs (round to nearest even, saturate to finite)\n\n");
    const std::vector<float> samples = {0.3f, 1.25f, -2.6f, 5.5f, 100.0f, 1e-3f};
    show_codec<numeric::e2m1>(samples);
    show_codec<numeric::e2m3>(samples);
    show_codec<numeric::e3m2>(samples);
    show_codec<numeric::e4m3>(samples);
    show_codec<numeric::e5m2>(samples);
    show_codec<numeric::bf16>(samples);
    show_codec<numeric::fp16>(samples);
    std::printf("  e8m0  scale codes:");
    for (const float x : samples) {
        std::printf(" %g->2^%d", static_cast<double>(x), numeric::e8m0::exponent(numeric::e8m0::encode(x)));
    }
    std::printf("\n\n");

    // Pack eight e2m1 codes two per byte and six-bit codes four per three bytes.
    const std::vector<float> row = {0.5f, -1.0f, 1.5f, 6.0f, -6.0f, 0.0f, 3.0f, -0.5f};
    std::vector<std::uint8_t> codes(row.size());
    numeric::encode<numeric::e2m1>(row, codes);
    std::vector<std::uint8_t> fp4(numeric::packed_bytes(codes.size(), 4));
    numeric::pack_fp4(codes, fp4);
    std::printf("  e2m1 codes of {0.5,-1,1.5,6,-6,0,3,-0.5} packed (element 2j in the low nibble):");
    for (auto b : fp4) std::printf(" %02x", b);
    std::printf("\n");
    std::vector<std::uint8_t> codes6(row.size());
    numeric::encode<numeric::e3m2>(row, codes6);
    std::vector<std::uint8_t> fp6(numeric::packed_bytes(codes6.size(), 6));
    numeric::pack_fp6(codes6, fp6);
    std::printf("  e3m2 codes of the same row packed four per three bytes:               ");
    for (auto b : fp6) std::printf(" %02x", b);
    std::printf("\n");
    return 0;
}

}  // namespace microscale::cli
