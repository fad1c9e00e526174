// safetensors: round trips, and every kind of malformed file gives a format_error that names it.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "support/scratch.hpp"

namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() { return microscale::test::scratch_dir("st", "files"); }

std::string raw_file(const std::string& header, std::size_t data_bytes, std::uint64_t declared_length = ~0ull) {
    std::string s(8, '\0');
    std::uint64_t n = declared_length == ~0ull ? header.size() : declared_length;
    for (int i = 0; i < 8; ++i) {
        s[static_cast<std::size_t>(i)] = static_cast<char>(n & 0xFF);
        n >>= 8;
    }
    return s + header + std::string(data_bytes, '\x01');
}

void expect_error(const std::string& bytes, const std::string& fragment) {
    std::span<const std::byte> span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
    try {
        (void)mc::parse_safetensors_header(span, "bad.safetensors");
        ADD_FAILURE() << "accepted; expected: " << fragment;
    } catch (const mc::format_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("bad.safetensors: "), std::string::npos) << what;
        EXPECT_NE(what.find(fragment), std::string::npos) << "message: " << what << "\nexpected: " << fragment;
    }
}

}  // namespace

TEST(Safetensors, RoundTrip) {
    const fs::path path = temp_dir() / "round.safetensors";
    mc::safetensors_writer w;
    const std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
    w.add_values<float>("a.weight", mc::st_dtype::F32, {2, 3}, f);
    const std::vector<std::uint8_t> u = {1, 2, 3};
    w.add_values<std::uint8_t>("a.weight_scale", mc::st_dtype::F8_E4M3, {3}, u);
    const std::vector<float> scalar = {0.25f};
    w.add_values<float>("a.weight_scale_2", mc::st_dtype::F32, {}, scalar);
    w.add_values<std::uint8_t>("empty", mc::st_dtype::U8, {0, 4}, std::span<const std::uint8_t>());
    w.set_metadata("format", "pt");
    w.write(path);

    const mc::safetensors_file r(path);
    EXPECT_EQ(r.tensors().size(), 4u);
    EXPECT_EQ(r.metadata().at("format"), "pt");
    const auto& a = r.at("a.weight");
    EXPECT_EQ(a.dtype, mc::st_dtype::F32);
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(mc::read_floats(r, a), f);
    EXPECT_EQ(r.at("a.weight_scale").dtype, mc::st_dtype::F8_E4M3);
    EXPECT_EQ(mc::read_scalar(r, r.at("a.weight_scale_2")), 0.25f);
    EXPECT_EQ(r.at("empty").numel(), 0);
    EXPECT_THROW((void)r.at("missing"), mc::format_error);
    EXPECT_THROW((void)mc::read_floats(r, r.at("a.weight_scale")), mc::format_error);
    EXPECT_THROW((void)mc::read_scalar(r, a), mc::format_error);
    // the header is padded to 8 bytes
    std::ifstream in(path, std::ios::binary);
    std::uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), 8);
    EXPECT_EQ(n % 8, 0u);
    // no temporary files left behind
    for (const auto& e : fs::directory_iterator(path.parent_path()))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(Safetensors, WriterRejectsBadTensorsAndLeavesNothingOnFailure) {
    mc::safetensors_writer w;
    const std::vector<float> f = {1, 2, 3};
    EXPECT_THROW(w.add_values<float>("x", mc::st_dtype::F32, {2, 2}, f), std::invalid_argument);
    w.add_values<float>("x", mc::st_dtype::F32, {3}, f);
    EXPECT_THROW(w.add_values<float>("x", mc::st_dtype::F32, {3}, f), std::invalid_argument);
    EXPECT_THROW(w.add_values<float>("__metadata__", mc::st_dtype::F32, {3}, f), std::invalid_argument);
    const fs::path missing = temp_dir() / "no-such-dir" / "out.safetensors";
    EXPECT_THROW(w.write(missing), std::exception);
    EXPECT_FALSE(fs::exists(missing.parent_path()));
}

TEST(Safetensors, MalformedFilesAreNamedErrors) {
    const std::string ok = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    EXPECT_NO_THROW({
        const std::string bytes = raw_file(ok, 8);
        (void)mc::parse_safetensors_header({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, "x");
    });
    expect_error("abc", "truncated: 3 bytes");
    expect_error(raw_file(ok, 8, 1000), "truncated: header length 1000");
    expect_error(raw_file(ok, 8, 200'000'000), "exceeds the 100000000-byte limit");
    expect_error(raw_file("{not json", 0), "header is not valid JSON");
    expect_error(raw_file("[1,2]", 0), "header is not a JSON object");
    expect_error(raw_file(R"({"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8), "tensor 't': unknown dtype 'Q4'");
    expect_error(raw_file(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", 8), "tensor 't': missing string 'dtype'");
    expect_error(raw_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "non-negative integers");
    expect_error(raw_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "shape [3] of F32 needs 12 bytes but data_offsets hold 8");
    expect_error(raw_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "run past the data section");
    expect_error(raw_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8), "end before they begin");
    expect_error(raw_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8), "not a pair");
    expect_error(raw_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", 6),
                 "overlaps");
    expect_error(raw_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})", 6),
                 "gap in the data section before tensor 'b'");
    expect_error(raw_file(ok, 12), "4 bytes no tensor describes");
    expect_error(raw_file(R"({"__metadata__":{"k":1}})", 0), "__metadata__ value of 'k' is not a string");
    expect_error(raw_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8), "too many elements");
}

TEST(Safetensors, OpenErrorsNameThePath) {
    const fs::path dir = temp_dir();
    try {
        mc::safetensors_file f(dir / "absent.safetensors");
        ADD_FAILURE();
    } catch (const mc::format_error& e) {
        EXPECT_NE(std::string(e.what()).find("absent.safetensors: cannot open"), std::string::npos) << e.what();
    }
    EXPECT_THROW(mc::safetensors_file{dir}, mc::format_error);  // a directory
    const fs::path empty = dir / "empty.safetensors";
    std::ofstream(empty).close();
    EXPECT_THROW(mc::safetensors_file{empty}, mc::format_error);
}
