"""An independent pure-torch statement of the numeric contract (docs/DESIGN.md §4): element and
scale decoding from the formats' definitions, NVFP4 / MX activation quantize-dequantize from the
formulas written there, and the fp32-accumulation error bound. Nothing here calls microscale's
kernels; tests compare microscale against it.
"""

from __future__ import annotations

import math

import torch

E2M1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def _minifloat_values(exponent_bits: int, mantissa_bits: int, bias: int) -> list[float]:
    """Magnitudes of the codes 0 .. 2^(e+m) - 1 of a sign-magnitude minifloat without inf / NaN."""
    out = []
    for code in range(1 << (exponent_bits + mantissa_bits)):
        e, m = code >> mantissa_bits, code & ((1 << mantissa_bits) - 1)
        if e == 0:
            out.append(m / (1 << mantissa_bits) * 2.0 ** (1 - bias))
        else:
            out.append((1 + m / (1 << mantissa_bits)) * 2.0 ** (e - bias))
    return out


# element codecs by format: (magnitudes, bits per code); E2M1 bias 1, E2M3 bias 1, E3M2 bias 3
ELEMENTS = {
    "nvfp4": (_minifloat_values(2, 1, 1), 4),
    "mxfp4": (_minifloat_values(2, 1, 1), 4),
    "mxfp6_e2m3": (_minifloat_values(2, 3, 1), 6),
    "mxfp6_e3m2": (_minifloat_values(3, 2, 3), 6),
}
BLOCK = {"nvfp4": 16, "mxfp4": 32, "mxfp6_e2m3": 32, "mxfp6_e3m2": 32}
EMAX = {"mxfp4": 2, "mxfp6_e2m3": 2, "mxfp6_e3m2": 4}
MANTISSA = {"mxfp4": 1, "mxfp6_e2m3": 3, "mxfp6_e3m2": 2}
assert _minifloat_values(2, 1, 1) == E2M1


def e4m3_value(code: torch.Tensor) -> torch.Tensor:
    """fp64 value of E4M3 codes (bias 7; 0x7F / 0xFF are NaN)."""
    c = code.to(torch.int64)
    e, m = (c >> 3) & 15, c & 7
    mag = torch.where(e == 0, m.double() / 8 * 2.0**-6, (1 + m.double() / 8) * torch.pow(2.0, (e - 7).double()))
    mag = torch.where((c & 0x7F) == 0x7F, torch.nan, mag)
    return torch.where((c & 0x80) != 0, -mag, mag)


def e8m0_value(code: torch.Tensor) -> torch.Tensor:
    c = code.to(torch.int64)
    return torch.where(c == 255, torch.nan, torch.pow(2.0, (c - 127).double()))


def unpack_codes(packed: torch.Tensor, fmt: str, cols: int) -> torch.Tensor:
    """[N, bytes] packed codes -> [N, cols] element codes (fp4: low nibble first; fp6: 4 codes in
    a little-endian 24-bit word, v0 in the low bits)."""
    p = packed.to(torch.int64)
    if ELEMENTS[fmt][1] == 4:
        return torch.stack([p & 15, p >> 4], dim=-1).reshape(p.shape[0], cols)
    words = p.reshape(p.shape[0], -1, 3)
    word = words[..., 0] | (words[..., 1] << 8) | (words[..., 2] << 16)
    return torch.stack([(word >> (6 * i)) & 63 for i in range(4)], dim=-1).reshape(p.shape[0], cols)


def element_value(codes: torch.Tensor, fmt: str) -> torch.Tensor:
    magnitudes, bits = ELEMENTS[fmt]
    table = torch.tensor(magnitudes, dtype=torch.float64)
    sign = (codes >> (bits - 1)) & 1
    mag = table[codes & ((1 << (bits - 1)) - 1)]
    return torch.where(sign == 1, -mag, mag)


def dequantize(fmt: str, codes: torch.Tensor, scales: torch.Tensor, global_scale: float, cols: int) -> torch.Tensor:
    """fp64 W [N, K] of a weight stored with linear-layout scales: element * scale (* G for NVFP4)."""
    q = element_value(unpack_codes(codes, fmt, cols), fmt)
    block = BLOCK[fmt]
    s = e4m3_value(scales) * float(global_scale) if fmt == "nvfp4" else e8m0_value(scales)
    return q * s.repeat_interleave(block, dim=1)[:, :cols]


def _round_to_elements(v: torch.Tensor, fmt: str) -> torch.Tensor:
    """Round-to-nearest-even onto the element grid of fmt (fp64 in, fp64 out), saturating."""
    magnitudes = torch.tensor(ELEMENTS[fmt][0], dtype=torch.float64)
    a = v.abs().clamp(max=magnitudes[-1].item()).unsqueeze(-1)
    distance = (a - magnitudes).abs()
    best = distance.min(dim=-1, keepdim=True).values
    # ties go to the code with an even mantissa (the even index: codes are in value order)
    candidates = torch.where(distance == best, torch.arange(len(magnitudes)), 1 << 20)
    even = torch.where(candidates % 2 == 0, candidates, 1 << 20).min(dim=-1).values
    index = torch.where(even < (1 << 20), even, candidates.min(dim=-1).values)
    return torch.where(v < 0, -magnitudes[index], magnitudes[index])


def _f32(v: torch.Tensor) -> torch.Tensor:
    return v.to(torch.float32).to(torch.float64)


def _e4m3_round(v: torch.Tensor) -> torch.Tensor:
    """fp64 value of round-to-nearest-even E4M3 of v (|v| <= 448)."""
    return v.to(torch.float32).to(torch.float8_e4m3fn).to(torch.float64)


def qdq_nvfp4(x: torch.Tensor, input_scale: float) -> torch.Tensor:
    """W4A4 NVFP4 activation quantize-dequantize (DESIGN.md §4.2, vLLM's reference), fp32 steps."""
    g = _f32(1.0 / torch.tensor(input_scale, dtype=torch.float32).double())
    blocks = _f32(x.double()).reshape(x.shape[0], -1, 16)
    amax = blocks.abs().amax(dim=-1, keepdim=True)
    sixth = _f32(torch.tensor(1.0 / 6.0))
    s = _e4m3_round(_f32(g * _f32(amax * sixth)).clamp(-448, 448))
    inv_g = _f32(1.0 / g)
    os_ = torch.where(s == 0, torch.zeros_like(s), _f32(1.0 / _f32(s * inv_g)))
    q = _round_to_elements(_f32(blocks * os_).clamp(-6, 6), "nvfp4")
    return _f32(q * _f32(s / g)).reshape(x.shape)


def qdq_mx(x: torch.Tensor, fmt: str) -> torch.Tensor:
    """MX activation quantize-dequantize with the "even" scale rule (DESIGN.md §4.3)."""
    blocks = _f32(x.double()).reshape(x.shape[0], -1, 32)
    amax = blocks.abs().amax(dim=-1, keepdim=True).to(torch.float32)
    bits = amax.view(torch.int32).to(torch.int64) + (1 << (22 - MANTISSA[fmt]))
    bits = bits & 0xFF800000
    exponent = ((bits >> 23) & 0xFF) - 127
    e = torch.where(amax == 0, torch.full_like(exponent, -127), (exponent - EMAX[fmt]).clamp(-127, 127))
    scale = torch.pow(2.0, e.double())
    q = _round_to_elements(blocks / scale, fmt)
    return (q * scale).reshape(x.shape)


def weight_qdq_nvfp4(w: torch.Tensor) -> torch.Tensor:
    """NVFP4 weight quantization as ModelOpt exports it (DESIGN.md §4.2), dequantized: fp32 steps."""
    blocks = _f32(w.double()).reshape(w.shape[0], -1, 16)
    g = _f32(blocks.abs().max() / _f32(torch.tensor(6.0 * 448.0)))
    amax = blocks.abs().amax(dim=-1, keepdim=True)
    s = _f32(amax / _f32(6 * g))
    s = torch.where(s == 0, torch.ones_like(s), s)
    s8 = _e4m3_round(s.clamp(2.0**-9, 448))
    factor = _f32(s8 * g)
    q = _round_to_elements(_f32(blocks / factor), "nvfp4")
    return _f32(q * factor).reshape(w.shape)


def weight_qdq(w: torch.Tensor, fmt: str) -> torch.Tensor:
    """A weight quantized and dequantized by the contract: ModelOpt's recipe for NVFP4, the MX
    block rule (the same as for activations) for MX formats."""
    return weight_qdq_nvfp4(w) if fmt == "nvfp4" else qdq_mx(w, fmt)


def qdq(x: torch.Tensor, fmt: str, input_scale: float = 1.0) -> torch.Tensor:
    return qdq_nvfp4(x, input_scale) if fmt == "nvfp4" else qdq_mx(x, fmt)


def fp32_dot_bound(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Bound on |fl32(x @ w.T) - x @ w.T| for any summation order: gamma_K * (|x| @ |w|.T)
    (Higham, gamma_K = K u / (1 - K u), u = 2^-24), fp64."""
    k = x.shape[-1]
    u = 2.0**-24
    gamma = k * u / (1 - k * u)
    return gamma * (x.double().abs() @ w.double().abs().T)


def rounding_bound(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Half an ulp of the output dtype at |y| (the final store's rounding)."""
    mantissa = {torch.float32: 23, torch.bfloat16: 7, torch.float16: 10}[dtype]
    return y.double().abs() * 2.0 ** -(mantissa + 1) + (0.0 if dtype != torch.float16 else 2.0**-25)


def silu(z: torch.Tensor) -> torch.Tensor:
    return z / (1 + torch.exp(-z))


SILU_LIPSCHITZ = 1.0999  # max |silu'(z)| = 1.0998... (at z ≈ 2.3994)
_z = torch.linspace(-20, 20, 400001, dtype=torch.float64)
assert float(((silu(_z[1:]) - silu(_z[:-1])) / (_z[1] - _z[0])).abs().max()) <= SILU_LIPSCHITZ
assert math.isclose(E2M1[-1], 6.0)
