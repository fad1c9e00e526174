// Packing of narrow element codes into bytes, and whole-span encode/decode.
//
// Both packings are one little-endian bit stream: code i occupies bits [w*i, w*i + w).
//   fp4 (w = 4): two codes per byte, element 2j in the LOW nibble, 2j+1 in the HIGH nibble.
//   fp6 (w = 6): four codes v0..v3 in three bytes, the 24-bit word v0 | v1<<6 | v2<<12 | v3<<18
//                stored little-endian (AMD Quark's Pack_fp6, as vLLM loads MXFP6 weights).
// A final partial byte is zero-filled. These span functions are what the backends call; the
// scalar codecs in codecs.hpp are their reference. Size mismatches and codes that do not fit the
// width throw std::invalid_argument naming the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "microscale/detail/text.hpp"
#include "microscale/numeric/codecs.hpp"

namespace microscale::numeric {

/// Bytes needed to pack `count` codes of `bits_per_code` bits.
constexpr std::size_t packed_bytes(std::size_t count, int bits_per_code) noexcept {
    return (count * static_cast<std::size_t>(bits_per_code) + 7) / 8;
}

namespace detail {

inline void require_size(std::string_view what, std::size_t got, std::size_t want) {
    if (got != want) {
        throw std::invalid_argument(microscale::detail::cat(what, ": span has ", got, " elements, expected ", want));
    }
}

template <int Bits>
void pack_bits(std::span<const std::uint8_t> codes, std::span<std::uint8_t> packed, std::string_view what) {
    static_assert(Bits == 4 || Bits == 6, "packing is defined for 4- and 6-bit codes");
    require_size(what, packed.size(), packed_bytes(codes.size(), Bits));
    std::uint32_t accumulator = 0;  // pending bits, LSB first
    int pending = 0;
    std::size_t out = 0;
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const std::uint32_t code = codes[i];
        if ((code >> Bits) != 0) {
            throw std::invalid_argument(microscale::detail::cat(what, ": code ", code, " at index ", i, " does not fit in ", Bits, " bits"));
        }
        accumulator |= code << pending;
        pending += Bits;
        while (pending >= 8) {
            packed[out++] = static_cast<std::uint8_t>(accumulator & 0xFFu);
            accumulator >>= 8;
            pending -= 8;
        }
    }
    if (pending > 0) packed[out] = static_cast<std::uint8_t>(accumulator & 0xFFu);
}

template <int Bits>
void unpack_bits(std::span<const std::uint8_t> packed, std::span<std::uint8_t> codes, std::string_view what) {
    require_size(what, packed.size(), packed_bytes(codes.size(), Bits));
    constexpr std::uint32_t mask = (1u << Bits) - 1u;
    std::uint32_t accumulator = 0;
    int available = 0;
    std::size_t in = 0;
    for (auto& code : codes) {
        if (available < Bits) {
            accumulator |= static_cast<std::uint32_t>(packed[in++]) << available;
            available += 8;
        }
        code = static_cast<std::uint8_t>(accumulator & mask);
        accumulator >>= Bits;
        available -= Bits;
    }
}

}  // namespace detail

/// codes: n 4-bit codes -> packed: packed_bytes(n, 4) bytes (element 2j in the low nibble).
inline void pack_fp4(std::span<const std::uint8_t> codes, std::span<std::uint8_t> packed) { detail::pack_bits<4>(codes, packed, "pack_fp4"); }
/// packed: packed_bytes(n, 4) bytes -> codes: n 4-bit codes.
inline void unpack_fp4(std::span<const std::uint8_t> packed, std::span<std::uint8_t> codes) { detail::unpack_bits<4>(packed, codes, "unpack_fp4"); }
/// codes: n 6-bit codes -> packed: packed_bytes(n, 6) bytes (4 codes per 3 bytes).
inline void pack_fp6(std::span<const std::uint8_t> codes, std::span<std::uint8_t> packed) { detail::pack_bits<6>(codes, packed, "pack_fp6"); }
/// packed: packed_bytes(n, 6) bytes -> codes: n 6-bit codes.
inline void unpack_fp6(std::span<const std::uint8_t> packed, std::span<std::uint8_t> codes) { detail::unpack_bits<6>(packed, codes, "unpack_fp6"); }

/// Pack with the width of element codec `Codec` (e2m1 -> fp4, e2m3/e3m2 -> fp6).
template <class Codec>
void pack(std::span<const std::uint8_t> codes, std::span<std::uint8_t> packed) {
    detail::pack_bits<Codec::bits>(codes, packed, Codec::name);
}
template <class Codec>
void unpack(std::span<const std::uint8_t> packed, std::span<std::uint8_t> codes) {
    detail::unpack_bits<Codec::bits>(packed, codes, Codec::name);
}

/// out[i] = Codec::encode(in[i]).
template <class Codec>
void encode(std::span<const float> in, std::span<typename Codec::code_type> out) {
    detail::require_size(Codec::name, out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = Codec::encode(in[i]);
}

/// out[i] = Codec::decode(in[i]).
template <class Codec>
void decode(std::span<const typename Codec::code_type> in, std::span<float> out) {
    detail::require_size(Codec::name, out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = Codec::decode(in[i]);
}

}  // namespace microscale::numeric
