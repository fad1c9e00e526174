#!/usr/bin/env python3
"""End-to-end checks of the `microscale` command-line tool (Python standard library only).

    cli_test.py MICROSCALE_BINARY CASE

The values `qdq` and `run` write are checked against a reference written here from the published
formulas: `qdq` bit for bit, `run` (linear and MoE) within the derived fp32-accumulation bound.
"""
import bisect
import json
import math
import os
import struct
import subprocess
import sys
import tempfile


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: (dtype, shape, bytes)}"""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def bf16_bytes(values):
    out = b""
    for v in values:
        bits = struct.unpack("<I", struct.pack("<f", v))[0]
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even (finite inputs)
        out += struct.pack("<H", bits)
    return out


def f32_bytes(values):
    return struct.pack(f"<{len(values)}f", *values)


def run(binary, *args, expect=0):
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit(f"`microscale {' '.join(args)}` exited {p.returncode}, expected {expect}\n"
                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p.stdout + p.stderr


def expect_in(text, fragment):
    if fragment not in text:
        sys.exit(f"expected {fragment!r} in:\n{text}")


# ------------------------------------------------------------------------------------------------
# An independent reference, written from the published formulas (docs/DESIGN.md §4, the OCP MX
# v1.0 spec, ModelOpt / vLLM / compressed-tensors / Quark conventions), never from the tool's code.
# fp32 arithmetic is emulated exactly: one IEEE operation on two fp32 values, evaluated in float64
# and rounded to fp32 once, is the correctly rounded fp32 result (53 >= 2 * 24 + 2).
# ------------------------------------------------------------------------------------------------

def f32(v):
    """v rounded to fp32 (round to nearest even; beyond the largest finite value: inf)."""
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:  # struct rounds first and refuses only what rounds to inf
        return math.copysign(math.inf, v)


def f32_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def decode_floats(dtype, data):
    """the values of a safetensors F32 / BF16 / F16 buffer (every one exact in float64)"""
    if dtype == "F32":
        return list(struct.unpack(f"<{len(data) // 4}f", data))
    if dtype == "BF16":
        return [struct.unpack("<f", struct.pack("<I", b << 16))[0] for b in struct.unpack(f"<{len(data) // 2}H", data)]
    if dtype == "F16":
        return list(struct.unpack(f"<{len(data) // 2}e", data))
    raise ValueError(dtype)


def encode_floats(dtype, values):
    """fp32 values -> the bytes of `dtype`, round to nearest even (IEEE; finite values)"""
    if dtype == "F32":
        return struct.pack(f"<{len(values)}f", *values)
    if dtype == "BF16":
        out = []
        for v in values:
            bits = f32_bits(v)
            out.append((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
        return struct.pack(f"<{len(out)}H", *out)
    if dtype == "F16":  # struct's half packing rounds to nearest even, subnormals included
        return struct.pack(f"<{len(values)}e", *values)
    raise ValueError(dtype)


def round_to(dtype, values):
    return decode_floats(dtype, encode_floats(dtype, values))


class Minifloat:
    """A sign-magnitude float element (1 sign bit, `ebits`, `mbits`, exponent bias): decode by the
    IEEE-style formula (subnormals at exponent field 0, no inf), encode by round to nearest, ties
    to the even code, saturating at the largest finite magnitude, keeping the sign of zero."""

    def __init__(self, name, ebits, mbits, bias, magnitudes=None, nan_magnitude=None):
        self.name, self.sign_bit = name, 1 << (ebits + mbits)
        if magnitudes is None:
            magnitudes = []
            for code in range(self.sign_bit):
                e, m = code >> mbits, code & ((1 << mbits) - 1)
                magnitudes.append(m * 2.0 ** (1 - bias - mbits) if e == 0 else (1 + m / 2 ** mbits) * 2.0 ** (e - bias))
        if nan_magnitude is not None:  # e4m3: 0x7F / 0xFF are NaN
            magnitudes = magnitudes[:nan_magnitude]
        self.magnitudes = magnitudes
        self.max_code = len(magnitudes) - 1

    def decode(self, code):
        magnitude = self.magnitudes[code & (self.sign_bit - 1)]
        return -magnitude if code & self.sign_bit else magnitude

    def encode(self, x):
        sign = self.sign_bit if math.copysign(1.0, x) < 0 else 0
        a = abs(x)
        if a >= self.magnitudes[-1]:
            return sign | self.max_code
        hi = bisect.bisect_left(self.magnitudes, a)
        if self.magnitudes[hi] == a:
            return sign | hi
        mid = (self.magnitudes[hi - 1] + self.magnitudes[hi]) / 2  # exact: few significant bits
        code = hi - 1 if a < mid else hi if a > mid else (hi - 1 if (hi - 1) % 2 == 0 else hi)
        return sign | code


# E2M1 from the published value table (bit 3 the sign); the others by their formula.
E2M1 = Minifloat("e2m1", 2, 1, 1, magnitudes=[0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])
assert E2M1.magnitudes == Minifloat("e2m1", 2, 1, 1).magnitudes
E2M3 = Minifloat("e2m3", 2, 3, 1)   # max 7.5
E3M2 = Minifloat("e3m2", 3, 2, 3)   # max 28
E4M3 = Minifloat("e4m3", 4, 3, 7, nan_magnitude=0x7F)  # bias 7, max 448, min subnormal 2^-9, no inf
assert (E2M3.magnitudes[-1], E3M2.magnitudes[-1], E4M3.magnitudes[-1], E4M3.magnitudes[1]) == (7.5, 28.0, 448.0, 2.0 ** -9)


def e8m0(b):
    """OCP E8M0 scale: 2^(b - 127); 255 is NaN"""
    assert b != 255, "NaN scale"
    return 2.0 ** (b - 127)


# per format: (element, block, element emax, scale kind)
FORMATS = {"nvfp4": (E2M1, 16, None, "e4m3"), "mxfp4": (E2M1, 32, 2, "e8m0"),
           "mxfp6_e2m3": (E2M3, 32, 2, "e8m0"), "mxfp6_e3m2": (E3M2, 32, 4, "e8m0")}
SCHEME_FORMAT = {"NVFP4": "nvfp4", "W4A16_NVFP4": "nvfp4", "w_nvfp4_a_nvfp4": "nvfp4", "w_nvfp4": "nvfp4",
                 "w_mxfp4_a_mxfp4": "mxfp4", "w_mxfp4": "mxfp4", "mxfp4": "mxfp4",
                 "w_mxfp6_e2m3_a_mxfp6_e2m3": "mxfp6_e2m3", "w_mxfp6_e2m3": "mxfp6_e2m3",
                 "w_mxfp6_e3m2_a_mxfp6_e3m2": "mxfp6_e3m2", "w_mxfp6_e3m2": "mxfp6_e3m2"}
QUANTIZED_ACTIVATIONS = {"NVFP4", "w_nvfp4_a_nvfp4", "w_mxfp4_a_mxfp4", "w_mxfp6_e2m3_a_mxfp6_e2m3", "w_mxfp6_e3m2_a_mxfp6_e3m2"}


def unpack_codes(fmt, data, count):
    """fp4: two codes per byte, element 2j in the LOW nibble (ModelOpt / torchao / vLLM's
    break_fp4_bytes: codes[0::2] | codes[1::2] << 4); fp6: v0 | v1<<6 | v2<<12 | v3<<18 in 3
    little-endian bytes (Quark)"""
    if fmt in ("nvfp4", "mxfp4"):
        out = []
        for b in data:
            out += [b & 0xF, b >> 4]
        return out[:count]
    out = []
    for i in range(0, len(data), 3):
        word = data[i] | data[i + 1] << 8 | data[i + 2] << 16
        out += [(word >> s) & 0x3F for s in (0, 6, 12, 18)]
    return out[:count]


def nvfp4_activation_qdq(block, g):
    """DESIGN §4.2 (vLLM's reference emulation), g = 1 / input_scale (fp32):
    s = e4m3(clamp(g * (amax * fp32(1/6)), -448, 448)); os = 1 / (s * (1/g)) (s == 0: the block
    quantizes to zeros); q = e2m1(clamp(x * os, -6, 6)); x' = fl32(q * fl32(s / g)).
    Returns (codes, scale code, the fp32 x' values, the exact x' = q * s / g)."""
    amax = max(abs(v) for v in block)
    s = f32(g * f32(amax * f32(1.0 / 6.0)))
    scale = E4M3.encode(min(max(s, -448.0), 448.0))
    sv = E4M3.decode(scale)
    if sv == 0.0:
        codes = [E2M1.encode(math.copysign(0.0, v)) for v in block]
    else:
        os_ = f32(1.0 / f32(sv * f32(1.0 / g)))
        codes = [E2M1.encode(min(max(f32(v * os_), -6.0), 6.0)) for v in block]
    factor = f32(sv / g)
    return codes, scale, [f32(E2M1.decode(q) * factor) for q in codes], [E2M1.decode(q) * sv / g for q in codes]


def mx_activation_qdq(block, fmt, rule="even"):
    """DESIGN §4.3 / OCP MX: E = exponent(amax, rounded up near the next power of two by the
    "even" rule: bits += 1 << (22 - m), bits &= 0xFF800000; "floor": floor(log2 amax)) - emax,
    clamped to [-127, 127] (amax == 0: E = -127); q = elem(x / 2^E); x' = q * 2^E (exact)."""
    element, _, emax, _ = FORMATS[fmt]
    mbits = {E2M1: 1, E2M3: 3, E3M2: 2}[element]
    amax = max(abs(v) for v in block)
    if amax == 0.0:
        scale = 0
    else:
        if rule == "even":
            bits = (f32_bits(amax) + (1 << (22 - mbits))) & 0xFF800000
            exponent = (bits >> 23) - 127
        else:
            exponent = max(math.frexp(amax)[1] - 1, -127)
        scale = min(max(exponent - emax, -127), 127) + 127
    codes = [element.encode(v / e8m0(scale)) for v in block]
    dq = [element.decode(q) * e8m0(scale) for q in codes]
    return codes, scale, dq, dq


def activation_qdq(values, rows, cols, fmt, g=None, rule="even"):
    """QDQ of a [rows, cols] activation matrix as the scheme's activations: (codes, linear scale
    codes [rows, cols / block], fp32 x', exact x')."""
    block = FORMATS[fmt][1]
    codes, scales, dq32, exact = [], [], [], []
    for r in range(rows):
        for b in range(cols // block):
            chunk = values[r * cols + b * block:r * cols + (b + 1) * block]
            c, s, d, e = nvfp4_activation_qdq(chunk, g) if fmt == "nvfp4" else mx_activation_qdq(chunk, fmt, rule)
            codes += c
            scales.append(s)
            dq32 += d
            exact += e
    return codes, scales, dq32, exact


def swizzle_128x4(scales, rows, cols):
    """DESIGN §4.4 (vLLM swizzle_blockscale / torchao to_blocked): rows padded to 128, columns to
    4 with zeros; (m, k) -> ((m/128)*(Kp/4) + k/4)*512 + (m%32)*16 + ((m/32)%4)*4 + k%4"""
    rp, kp = -(-rows // 128) * 128, -(-cols // 4) * 4
    out = [0] * (rp * kp)
    for m in range(rows):
        for k in range(cols):
            out[((m // 128) * (kp // 4) + k // 4) * 512 + (m % 32) * 16 + ((m // 32) % 4) * 4 + k % 4] = scales[m * cols + k]
    return out, [rp, kp]


def read_tensors(path):
    """{name: (dtype, shape, bytes)} of a safetensors file"""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    return {name: (t["dtype"], t["shape"], blob[8 + n + t["data_offsets"][0]:8 + n + t["data_offsets"][1]])
            for name, t in header.items()}


def read_checkpoint(folder):
    """every tensor of a (possibly sharded) checkpoint folder"""
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_tensors(os.path.join(folder, "model.safetensors"))
    with open(index) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    tensors = {}
    for shard in shards:
        tensors.update(read_tensors(os.path.join(folder, shard)))
    return tensors


def scalar(tensor):
    dtype, shape, data = tensor
    assert dtype == "F32" and shape in ([], [1]), tensor[:2]
    return struct.unpack("<f", data)[0]


def dequantize_rows(fmt, packed, scales, n, k, factor):
    """n rows of k exact weights from packed codes and per-block scale bytes: elem(q) * factor(s)"""
    element, block = FORMATS[fmt][0], FORMATS[fmt][1]
    row_bytes = len(packed) // n
    rows = []
    for r in range(n):
        codes = unpack_codes(fmt, packed[r * row_bytes:(r + 1) * row_bytes], k)
        row_scales = scales[r * (k // block):(r + 1) * (k // block)]
        rows.append([element.decode(codes[c]) * factor(row_scales[c // block]) for c in range(k)])
    return rows


def elements_of(fmt, packed_cols):
    """K of a row of `packed_cols` bytes: fp4 two per byte, fp6 four per three bytes"""
    return packed_cols * 2 if fmt in ("nvfp4", "mxfp4") else packed_cols * 4 // 3


def dequantize_weight(tensors, module, fmt, convention):
    """The exact dequantized weight [N, K] of a stored module (list of rows) and its NVFP4 global
    scale (None for MX). NVFP4: w = e2m1(q) * e4m3(s) * G with G = ModelOpt's weight_scale_2 or,
    compressed-tensors, 1 / weight_global_scale (the reciprocal convention: dequantization divides;
    one float64 rounding here); MX: w = elem(q) * 2^(s - 127), exact."""
    packed = tensors[module + (".weight_packed" if convention == "compressed-tensors" else ".weight")]
    scales = tensors[module + ".weight_scale"]
    assert packed[0] == "U8" and len(packed[1]) == 2, (module, packed[:2])
    n, k = packed[1][0], elements_of(fmt, packed[1][1])
    assert scales[1] == [n, k // FORMATS[fmt][1]], (module, scales[:2])
    if fmt == "nvfp4":
        assert scales[0] == "F8_E4M3", (module, scales[:2])
        if convention == "compressed-tensors":
            global_scale = scalar(tensors[module + ".weight_global_scale"])
            factor = lambda s: E4M3.decode(s) / global_scale
        else:
            global_scale = scalar(tensors[module + ".weight_scale_2"])
            factor = lambda s: E4M3.decode(s) * global_scale
    else:
        assert scales[0] in ("U8", "F8_E8M0"), (module, scales[:2])
        global_scale, factor = None, e8m0
    return dequantize_rows(fmt, packed[2], scales[2], n, k, factor), global_scale


# ---- the bound -----------------------------------------------------------------------------------
# The tool's products are y = Σ_k a_k b_k over fp32 operands, accumulated in fp32 in any order,
# then rounded to the output dtype. With u = 2^-24 and γ_n = n u / (1 - n u) (Higham, Accuracy and
# Stability of Numerical Algorithms, §3.1), a K-term dot product in fp32, in any order, with or
# without FMA, is within γ_K Σ|a_k b_k| of the exact value; every further fp32 rounding on a term's
# path adds one to the index. Against the EXACT operands of the published formulas (w = q·s·G,
# x' = q·s/g, MX q·2^E, all exact reals) a term can carry at most OPERAND_ROUNDINGS more:
#   weight:      fl(1/weight_global_scale) (compressed-tensors G), fl(s·G), fl(q·factor)    3
#   activation:  fl(s/g), fl(q·factor)  (NVFP4 W4A4; MX factors are powers of two: 0)     2
#   a backend that folds the two block factors into one: fl(factor_x · factor_w)          1
OPERAND_ROUNDINGS = 6
U32 = 2.0 ** -24
# Rounding fp32 -> output dtype (round to nearest even): at most u_out·|ŷ| in the normal range, half
# the smallest subnormal below it: (u_out, half subnormal step). fp32 output: no second rounding.
OUTPUT_ROUNDING = {"F32": (0.0, 0.0), "BF16": (2.0 ** -8, 2.0 ** -134), "F16": (2.0 ** -11, 2.0 ** -25)}
# The float64 reference itself: each term has at most 3 float64 roundings (operand, product) and
# math.fsum rounds the sum once: below 2^-50 Σ|t|.
REFERENCE_SLACK = 2.0 ** -50


def gamma(n):
    return n * U32 / (1 - n * U32)


def fp32_dot_bound(k, sum_abs):
    """|fl32(Σ a b) - Σ a b| over exact operands (+ one fp32 underflow step per rounding)"""
    n = k + OPERAND_ROUNDINGS
    return gamma(n) * sum_abs + n * 2.0 ** -150 + REFERENCE_SLACK * sum_abs


def output_bound(e32, exact, dtype):
    """add the rounding of the fp32 result (within e32 of `exact`) to `dtype`"""
    u_out, half_subnormal = OUTPUT_ROUNDING[dtype]
    return e32 + u_out * (abs(exact) + e32) + half_subnormal


def expect_close(what, got, exact, bound):
    """|got - exact| <= bound element-wise; names the worst element and its margin on failure"""
    assert len(got) == len(exact) == len(bound), (what, len(got), len(exact), len(bound))
    worst = 0.0
    for i, (g, e, b) in enumerate(zip(got, exact, bound)):
        if not math.isfinite(g) or abs(g - e) > b:
            sys.exit(f"{what}: element {i} is {g!r}, the fp64 reference {e!r}, bound {b!r} (|diff| {abs(g - e)!r})")
        if b > 0:
            worst = max(worst, abs(g - e) / b)
    return worst


def linear_reference(x_exact, rows, weight, out_dtype):
    """y = x · Wᵀ in float64 and the per-element bound: fp32 accumulation + output rounding"""
    k = len(weight[0])
    exact, bound = [], []
    for m in range(rows):
        xr = x_exact[m * k:(m + 1) * k]
        for w in weight:
            terms = [a * b for a, b in zip(xr, w)]
            y = math.fsum(terms)
            exact.append(y)
            bound.append(output_bound(fp32_dot_bound(k, math.fsum(abs(t) for t in terms)), y, out_dtype))
    return exact, bound


def check_linear_run(folder, convention, scheme, shards, x, rows, y_path, what):
    """`microscale run` output y [rows, N] of the module made of `shards` (N concatenated) against
    the float64 reference y = x' · Wᵀ from the checkpoint's own codes and scales; x' = x (weight
    only) or the QDQ of x (W4A4 / W6A6: NVFP4 g = 1 / input_scale (ModelOpt) or input_global_scale
    (compressed-tensors, stored as g); MX per-block e8m0)."""
    tensors = read_checkpoint(folder)
    fmt = SCHEME_FORMAT[scheme]
    weight, global_scales = [], set()
    for shard in shards:
        w, global_scale = dequantize_weight(tensors, shard, fmt, convention)
        weight += w
        global_scales.add(global_scale)
    # fused shards are exported with a shared weight amax (as ModelOpt does), so one G: the loader
    # keeps every block scale as stored (no re-rounding, DESIGN §6)
    assert len(global_scales) == 1, (what, global_scales)
    k = len(weight[0])
    x_exact = x
    if scheme in QUANTIZED_ACTIVATIONS:
        g = None
        if fmt == "nvfp4":
            name = ".input_global_scale" if convention == "compressed-tensors" else ".input_scale"
            stored = {scalar(tensors[shard + name]) for shard in shards}
            assert len(stored) == 1, (what, stored)  # the shards share their input amax too
            g = stored.pop() if convention == "compressed-tensors" else f32(1.0 / stored.pop())
        x_exact = activation_qdq(x, rows, k, fmt, g)[3]
    y = read_tensors(y_path)["y"]
    dtype = y[0]
    assert y[1] == [rows, len(weight)], (what, y[:2])
    exact, bound = linear_reference(x_exact, rows, weight, dtype)
    return expect_close(what, decode_floats(dtype, y[2]), exact, bound)


# ---- MoE: y_t = Σ_j w_j · (silu(x·W1ᵀ) ⊙ (x·W3ᵀ)) · W2ᵀ, in fp32, rounded once -----------------
# Error propagation (all bounds per element, against the float64 values of the exact operands):
#   gate G, up U: fp32 dots, |Ĝ - G| <= εg = fp32_dot_bound(K, Σ|x w1|), same for εu.
#   silu(z) = z / (1 + exp(-z)) is Lipschitz with L = sup|silu'| = 1.0998 < 1.1, and its fp32
#   evaluation (expf within 1 ulp = 2u, then two roundings) has relative error <= γ_4:
#     |ŝ - silu(G)| <= Δs = L εg + γ_4 (|silu(G)| + L εg),  |ŝ| <= S = |silu(G)| + Δs
#   h = fl(ŝ · Û):  |ĥ - H| <= εh = S εu + |U| Δs + u S (|U| + εu),   H = silu(G) U
#   o = ĥ · W2ᵀ:   |ô - O| <= εo = Σ_i |w2_i| εh_i + fp32_dot_bound(I, Σ_i |w2_i| (|H_i| + εh_i))
#   y = Σ_j fl(w_j ô_j) over the k slots (k roundings on a term's path):
#     |ŷ - Y| <= Σ_j |w_j| εo_j + γ_k Σ_j |w_j| (|O_j| + εo_j), then the output rounding.
SILU_LIPSCHITZ = 1.1


def silu(z):
    return z / (1.0 + math.exp(-z)) if z > -700 else 0.0


def moe_reference(x, tokens, hidden, ids, router_weights, top_k, w13, w2, out_dtype):
    """float64 y [T, K] and its per-element bound; w13[e]: 2I rows (gate, then up) of K, w2[e]: K rows of I"""
    exact, bound = [], []
    for t in range(tokens):
        xr = x[t * hidden:(t + 1) * hidden]
        y_terms, y_err, y_abs = [[] for _ in range(hidden)], [0.0] * hidden, [0.0] * hidden
        for j in range(top_k):
            e, weight = ids[t * top_k + j], router_weights[t * top_k + j]
            if e < 0:
                continue
            inter = len(w13[e]) // 2
            h, eh = [], []
            for i in range(inter):
                tg = [a * b for a, b in zip(xr, w13[e][i])]
                tu = [a * b for a, b in zip(xr, w13[e][inter + i])]
                gate, up = math.fsum(tg), math.fsum(tu)
                eg = fp32_dot_bound(hidden, math.fsum(abs(v) for v in tg))
                eu = fp32_dot_bound(hidden, math.fsum(abs(v) for v in tu))
                ds = SILU_LIPSCHITZ * eg + gamma(4) * (abs(silu(gate)) + SILU_LIPSCHITZ * eg)
                s = abs(silu(gate)) + ds
                h.append(silu(gate) * up)
                eh.append(s * eu + abs(up) * ds + U32 * s * (abs(up) + eu))
            for n in range(hidden):
                terms = [a * b for a, b in zip(h, w2[e][n])]
                o = math.fsum(terms)
                eo = math.fsum(abs(w) * d for w, d in zip(w2[e][n], eh)) + \
                    fp32_dot_bound(inter, math.fsum(abs(w) * (abs(a) + d) for w, a, d in zip(w2[e][n], h, eh)))
                y_terms[n].append(weight * o)
                y_err[n] += abs(weight) * eo
                y_abs[n] += abs(weight) * (abs(o) + eo)
        for n in range(hidden):
            y = math.fsum(y_terms[n])
            exact.append(y)
            bound.append(output_bound(y_err[n] + gamma(top_k) * y_abs[n] + REFERENCE_SLACK * y_abs[n], y, out_dtype))
    return exact, bound


def case_list(binary, tmp):
    text = run(binary, "list", "--why")
    for s in ["w_nvfp4_a_nvfp4", "w_nvfp4", "w_mxfp4_a_mxfp4", "w_mxfp4", "w_mxfp6_e2m3_a_mxfp6_e2m3",
              "w_mxfp6_e2m3", "w_mxfp6_e3m2_a_mxfp6_e3m2", "w_mxfp6_e3m2", "NVFP4", "modelopt_fp4",
              "nvfp4-pack-quantized", "W4A16_NVFP4", "<- selected"]:
        expect_in(text, s)
    table = json.loads(run(binary, "list", "--json"))
    assert len(table["schemes"]) == 8, table
    for s in table["schemes"]:
        assert s["selected"], s
    env = dict(os.environ, MICROSCALE_DISABLED_KERNELS="*")
    p = subprocess.run([binary, "list", "--why"], capture_output=True, text=True, env=env)
    expect_in(p.stdout, "disabled by MICROSCALE_DISABLED_KERNELS pattern '*'")


def qdq_reference(x, rows, cols, dtype, scheme, input_scale=None, rule="even"):
    """(x_codes, linear x_scale codes, x_dq bytes) of `microscale qdq`, from the published rules:
    NVFP4 g = fl32(1 / input_scale), input_scale = fl32(amax(x) / 2688) unless given (README:
    "input_scale = amax / 2688"); x_dq = the fp32 x' rounded to x's dtype (bit-exact with vLLM)."""
    fmt = SCHEME_FORMAT[scheme]
    g = None
    if fmt == "nvfp4":
        if input_scale is None:
            input_scale = f32(max(abs(v) for v in x) / 2688.0)
        g = f32(1.0 / f32(input_scale))
    codes, scales, dq32, _ = activation_qdq(x, rows, cols, fmt, g, rule)
    return codes, scales, encode_floats(dtype, dq32)


def qdq_inputs():
    """(name, dtype, rows, cols, values): bf16 ramps; fp32 with e2m1 / fp6 rounding ties, zero and
    -0.0 elements, an all-zero block, rows 2^50 apart and fp32 subnormals (MX scale byte 0, NVFP4
    block scale 0); fp16 over its subnormal range"""
    ramp = round_to("BF16", [((i * 7919) % 113) / 13.0 - 4.0 for i in range(3 * 64)])
    ties = [6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 2.25, 2.75, 0.125, 7.25, 26.0, 30.0, -0.0, 0.0] * 2
    ties += [-v for v in ties]
    wide = ties + [0.0] * 32 + [((i * 2654435761) % 2001 - 1000) * 2.0 ** -40 for i in range(32)]
    wide += [((i * 40503) % 997 - 498) * 2.0 ** 10 for i in range(64)]
    wide += [((i * 69069) % 255 - 127) * 2.0 ** -140 for i in range(64)]
    wide = [f32(v) for v in wide]
    half = round_to("F16", [((i * 48271) % 1999 - 999) / 1000.0 * 2.0 ** -((i * 7) % 24) for i in range(2 * 64)])
    return [("bf16", "BF16", 3, 64, ramp), ("f32", "F32", 4, 64, wide), ("f16", "F16", 2, 64, half)]


def case_qdq(binary, tmp):
    """x_dq, x_codes and x_scale bit for bit against the reference QDQ, each scheme and layout"""
    for name, dtype, rows, cols, x in qdq_inputs():
        src = os.path.join(tmp, f"x-{name}.safetensors")
        write_safetensors(src, {"x": (dtype, [rows, cols], encode_floats(dtype, x))})
        for scheme, layout, extra in [("NVFP4", "linear", []), ("NVFP4", "swizzled_128x4", []),
                                      ("NVFP4", "linear", ["--input-scale", "0.01"]), ("w_mxfp4_a_mxfp4", "linear", []),
                                      ("w_mxfp4_a_mxfp4", "linear", ["--scale-rule", "floor"]),
                                      ("w_mxfp6_e2m3_a_mxfp6_e2m3", "swizzled_128x4", []),
                                      ("w_mxfp6_e3m2_a_mxfp6_e3m2", "linear", [])]:
            out = os.path.join(tmp, f"y-{name}-{scheme}-{layout}-{len(extra)}.safetensors")
            run(binary, "qdq", "--scheme", scheme, "--input", src, "--output", out, "--scale-layout", layout, *extra)
            fmt = SCHEME_FORMAT[scheme]
            input_scale = f32(0.01) if "--input-scale" in extra else None
            codes, scales, dq = qdq_reference(x, rows, cols, dtype, scheme, input_scale,
                                              "floor" if "floor" in extra else "even")
            if layout == "swizzled_128x4":
                scales, scale_shape = swizzle_128x4(scales, rows, cols // FORMATS[fmt][1])
            else:
                scale_shape = [rows, cols // FORMATS[fmt][1]]
            got = read_tensors(out)
            what = f"qdq {scheme} {layout} {' '.join(extra)} on {name} x"
            assert got["x_dq"][:2] == (dtype, [rows, cols]), (what, got["x_dq"][:2])
            assert got["x_codes"][:2] == ("U8", [rows, cols]), (what, got["x_codes"][:2])
            assert got["x_scale"][:2] == ("F8_E4M3" if fmt == "nvfp4" else "U8", scale_shape), (what, got["x_scale"][:2])
            for tensor, expected in [("x_codes", bytes(codes)), ("x_scale", bytes(scales)), ("x_dq", dq)]:
                if got[tensor][2] != expected:
                    step = len(expected) // (rows * cols) if tensor == "x_dq" else 1
                    i = next(i for i in range(0, len(expected), step) if got[tensor][2][i:i + step] != expected[i:i + step])
                    sys.exit(f"{what}: {tensor} differs from the reference first at element {i // step}: "
                             f"{got[tensor][2][i:i + step].hex()} != {expected[i:i + step].hex()}")
    src = os.path.join(tmp, "x-bf16.safetensors")
    expect_in(run(binary, "qdq", "--scheme", "NVFP4", "--input", src, "--output", os.path.join(tmp, "s.safetensors"),
                  "--input-scale", "-1", expect=2), "--input-scale must be a positive finite number")
    # x with K not a multiple of the block, NaN, and a missing tensor are named errors
    bad = os.path.join(tmp, "bad.safetensors")
    write_safetensors(bad, {"x": ("F32", [1, 20], f32_bytes([1.0] * 20))})
    expect_in(run(binary, "qdq", "--scheme", "NVFP4", "--input", bad, "--output", os.path.join(tmp, "o.safetensors"),
                  expect=1), "not a multiple of the nvfp4 block size 16")
    write_safetensors(bad, {"x": ("F32", [1, 16], f32_bytes([1.0] * 15 + [float("nan")]))})
    expect_in(run(binary, "qdq", "--scheme", "NVFP4", "--input", bad, "--output", os.path.join(tmp, "o.safetensors"),
                  expect=1), "x: element [0, 15] is NaN")
    write_safetensors(bad, {"y": ("F32", [1, 16], f32_bytes([1.0] * 16))})
    expect_in(run(binary, "qdq", "--scheme", "NVFP4", "--input", bad, "--output", os.path.join(tmp, "o.safetensors"),
                  expect=1), "no tensor 'x'")


def case_quantize(binary, tmp):
    src = os.path.join(tmp, "model.safetensors")
    w = [((i * 104729) % 1009) / 1009.0 - 0.5 for i in range(8 * 64)]
    write_safetensors(src, {"layers.0.up.weight": ("F32", [8, 64], f32_bytes(w)),
                            "lm_head.weight": ("BF16", [8, 64], bf16_bytes(w)),
                            "norm.weight": ("F32", [64], f32_bytes([1.0] * 64))})
    out = os.path.join(tmp, "nvfp4")
    text = run(binary, "quantize", "--scheme", "NVFP4", "--input", src, "--output", out, "--exclude", "lm_head")
    expect_in(text, "no input_scale")
    h = read_header(os.path.join(out, "model.safetensors"))
    assert h["layers.0.up.weight"] == {**h["layers.0.up.weight"], "dtype": "U8", "shape": [8, 32]}, h
    assert h["layers.0.up.weight_scale"]["dtype"] == "F8_E4M3" and h["layers.0.up.weight_scale"]["shape"] == [8, 4], h
    assert h["layers.0.up.weight_scale_2"]["dtype"] == "F32" and h["layers.0.up.weight_scale_2"]["shape"] == [], h
    assert h["lm_head.weight"]["dtype"] == "BF16" and h["norm.weight"]["dtype"] == "F32", h
    with open(os.path.join(out, "hf_quant_config.json")) as f:
        config = json.load(f)
    assert config["quantization"]["quant_algo"] == "NVFP4", config
    assert config["quantization"]["exclude_modules"] == ["lm_head"], config
    out6 = os.path.join(tmp, "mx6")
    run(binary, "quantize", "--scheme", "w_mxfp6_e2m3", "--input", src, "--output", out6)
    h = read_header(os.path.join(out6, "model.safetensors"))
    assert h["lm_head.weight"]["shape"] == [8, 48] and h["lm_head.weight_scale"]["shape"] == [8, 2], h
    with open(os.path.join(out6, "config.json")) as f:
        assert json.load(f)["quantization_config"]["global_quant_config"]["weight"]["dtype"] == "fp6_e2m3"
    expect_in(run(binary, "quantize", "--scheme", "int3", "--input", src, "--output", out, expect=1),
              "unknown quantization scheme 'int3'")
    expect_in(run(binary, "quantize", "--scheme", "NVFP4", "--input", src, expect=2), "output")
    with open(os.path.join(tmp, "trunc.safetensors"), "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    expect_in(run(binary, "quantize", "--scheme", "NVFP4", "--input", os.path.join(tmp, "trunc.safetensors"),
                  "--output", out, expect=1), "trunc.safetensors: truncated")


def case_checkpoint(binary, tmp):
    """quantize (with calibration, each format) -> inspect -> run, and errors of run."""
    src = os.path.join(tmp, "model.safetensors")
    cal = os.path.join(tmp, "cal.safetensors")
    tensors, calib = {}, {}
    for i, (name, n, k) in enumerate([("model.layers.0.mlp.gate_proj", 96, 64), ("model.layers.0.mlp.up_proj", 96, 64),
                                      ("model.layers.0.mlp.down_proj", 64, 96), ("lm_head", 40, 64)]):
        w = [(((j + 7 * i) * 2654435761) % 1000) / 25000.0 - 0.02 for j in range(n * k)]
        tensors[name + ".weight"] = ("BF16", [n, k], bf16_bytes(w))
        calib[name + ".input"] = ("F32", [4, k], f32_bytes([((j * 40503) % 97) / 24.0 - 2.0 for j in range(4 * k)]))
    write_safetensors(src, tensors)
    write_safetensors(cal, calib)
    x = os.path.join(tmp, "x.safetensors")
    x_values = round_to("BF16", [((j * 7) % 13) / 6.0 - 1.0 for j in range(3 * 64)])
    write_safetensors(x, {"x": ("BF16", [3, 64], encode_floats("BF16", x_values))})
    gate_up = ["model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj"]
    for scheme, fmt in [("NVFP4", "modelopt"), ("NVFP4", "compressed-tensors"), ("W4A16_NVFP4", "modelopt"), ("w_mxfp4_a_mxfp4", "quark"),
                        ("w_mxfp6_e3m2", "quark")]:
        out = os.path.join(tmp, f"{scheme}-{fmt}")
        run(binary, "quantize", "--scheme", scheme, "--input", src, "--output", out, "--format", fmt, "--calibration", cal,
            "--exclude", "lm_head", "--max-shard-size", "4000")
        with open(os.path.join(out, "model.safetensors.index.json")) as f:  # the small shard size forces shards
            assert len(set(json.load(f)["weight_map"].values())) > 1
        info = json.loads(run(binary, "inspect", out, "--json"))
        modules = {m["name"]: m for m in info["modules"]}
        assert modules["lm_head"]["quantized"] is False and modules["lm_head"]["kernel"] == "dense_fp32", modules["lm_head"]
        fused = modules["model.layers.0.mlp.gate_up_proj"]
        assert fused["quantized"] and fused["n"] == 192 and fused["fused_from"], fused
        assert modules["model.layers.0.mlp.down_proj"]["kernel"].endswith(".simd"), modules
        expect_in(run(binary, "inspect", out), "excluded by")
        y = os.path.join(tmp, f"y-{scheme}-{fmt}.safetensors")
        expect_in(run(binary, "run", "--checkpoint", out, "--layer", "model.layers.0.mlp.gate_up_proj", "--input", x, "--output", y),
                  "ran on")
        h = read_header(y)
        assert h["y"]["dtype"] == "BF16" and h["y"]["shape"] == [3, 192], h
        check_linear_run(out, fmt, scheme, gate_up, x_values, 3, y, f"run {scheme} {fmt} gate_up_proj ({h['__metadata__']['kernel']})")
        # the same shard alone on the emulation backend (the fused layer is quantized: a simd kernel ran)
        assert h["__metadata__"]["kernel"].endswith(".simd"), h
        emulation = h["__metadata__"]["kernel"].replace(".simd", ".emulation")
        run(binary, "run", "--checkpoint", out, "--layer", "model.layers.0.mlp.up_proj", "--input", x, "--output", y,
            "--kernel", emulation)
        assert read_header(y)["__metadata__"]["kernel"] == emulation
        check_linear_run(out, fmt, scheme, gate_up[1:], x_values, 3, y, f"run {scheme} {fmt} up_proj ({emulation})")
    out = os.path.join(tmp, "NVFP4-modelopt")
    expect_in(run(binary, "run", "--checkpoint", out, "--layer", "model.layers.0.mlp.down_proj", "--input", x, "--output",
                  os.path.join(tmp, "y.safetensors"), expect=1), "takes K=96")
    expect_in(run(binary, "run", "--checkpoint", out, "--layer", "nope", "--input", x, "--output", os.path.join(tmp, "y.safetensors"),
                  expect=1), "no module 'nope'")
    expect_in(run(binary, "quantize", "--scheme", "w_mxfp4", "--input", src, "--output", out, "--format", "modelopt", expect=1),
              "cannot be written as modelopt")
    nocal = os.path.join(tmp, "nocal")
    expect_in(run(binary, "quantize", "--scheme", "NVFP4", "--input", src, "--output", nocal), "no input_scale")
    expect_in(run(binary, "run", "--checkpoint", nocal, "--layer", "model.layers.0.mlp.up_proj", "--input", x, "--output",
                  os.path.join(tmp, "y.safetensors"), expect=1), "--calibration")


def case_moe(binary, tmp):
    """an MoE layer (Quark stacked experts) through inspect and run"""
    E, K, I = 4, 64, 32
    ckpt = os.path.join(tmp, "moe")
    os.makedirs(ckpt)
    codes = lambda n: bytes(((j * 2654435761) >> 7) & 0xFF for j in range(n))
    write_safetensors(os.path.join(ckpt, "model.safetensors"), {
        "layers.0.experts.w13_weight": ("U8", [E, 2 * I, K // 2], codes(E * 2 * I * K // 2)),
        "layers.0.experts.w13_weight_scale": ("U8", [E, 2 * I, K // 32], bytes([120 + j % 5 for j in range(E * 2 * I * K // 32)])),
        "layers.0.experts.w2_weight": ("U8", [E, K, I // 2], codes(E * K * I // 2)),
        "layers.0.experts.w2_weight_scale": ("U8", [E, K, I // 32], bytes([121 + j % 3 for j in range(E * K * I // 32)]))})
    with open(os.path.join(ckpt, "config.json"), "w") as f:
        json.dump({"quantization_config": {"quant_method": "quark", "exclude": [], "global_quant_config": {
            "weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": None}}}, f)
    info = json.loads(run(binary, "inspect", ckpt, "--json"))
    assert info["moe"][0]["experts"] == E and info["moe"][0]["kernel"].startswith("moe.w_mxfp4."), info["moe"]
    x = os.path.join(tmp, "x.safetensors")
    x_values = [f32(((j * 7) % 11) / 5.0 - 1.0) for j in range(3 * K)]
    ids, router = [0, 3, -1, 2, 1, 1], [f32(v) for v in [0.6, 0.4, 0.0, 1.0, 0.5, 0.5]]
    write_safetensors(x, {"x": ("F32", [3, K], f32_bytes(x_values)),
                          "topk_ids": ("I32", [3, 2], struct.pack("<6i", *ids)),
                          "topk_weights": ("F32", [3, 2], f32_bytes(router))})
    y = os.path.join(tmp, "y.safetensors")
    expect_in(run(binary, "run", "--checkpoint", ckpt, "--layer", "layers.0.experts", "--input", x, "--output", y), "4 experts")
    h = read_header(y)
    assert h["y"]["dtype"] == "F32" and h["y"]["shape"] == [3, K], h
    # values: the experts decoded from the checkpoint's own bytes (fp4 codes, e8m0 scales)
    stored = read_tensors(os.path.join(ckpt, "model.safetensors"))
    def experts(name, rows, cols):
        packed, scales = stored[f"layers.0.experts.{name}"][2], stored[f"layers.0.experts.{name}_scale"][2]
        per_p, per_s = rows * cols // 2, rows * cols // 32
        return [dequantize_rows("mxfp4", packed[e * per_p:(e + 1) * per_p], scales[e * per_s:(e + 1) * per_s], rows, cols, e8m0)
                for e in range(E)]
    w13, w2 = experts("w13_weight", 2 * I, K), experts("w2_weight", K, I)
    exact, bound = moe_reference(x_values, 3, K, ids, router, 2, w13, w2, "F32")
    expect_close(f"run MoE F32 ({h['__metadata__']['kernel']})", decode_floats("F32", read_tensors(y)["y"][2]), exact, bound)
    # bf16 x: the fp32 result is rounded once to bf16 (half an ulp more)
    x_bf16 = round_to("BF16", x_values)
    write_safetensors(x, {"x": ("BF16", [3, K], encode_floats("BF16", x_bf16)),
                          "topk_ids": ("I32", [3, 2], struct.pack("<6i", *ids)),
                          "topk_weights": ("F32", [3, 2], f32_bytes(router))})
    run(binary, "run", "--checkpoint", ckpt, "--layer", "layers.0.experts", "--input", x, "--output", y)
    got = read_tensors(y)["y"]
    assert got[:2] == ("BF16", [3, K]), got[:2]
    exact, bound = moe_reference(x_bf16, 3, K, ids, router, 2, w13, w2, "BF16")
    expect_close("run MoE BF16", decode_floats("BF16", got[2]), exact, bound)
    write_safetensors(x, {"x": ("F32", [3, K], f32_bytes([0.0] * (3 * K))),
                          "topk_ids": ("I32", [3, 2], struct.pack("<6i", 0, 9, -1, 2, 1, 1)),
                          "topk_weights": ("F32", [3, 2], f32_bytes([0.6, 0.4, 0.0, 1.0, 0.5, 0.5]))})
    expect_in(run(binary, "run", "--checkpoint", ckpt, "--layer", "layers.0.experts", "--input", x, "--output", y, expect=1),
              "is not an expert of 4")


def case_check(binary, tmp):
    for scheme in ["NVFP4", "W4A16_NVFP4", "w_mxfp4_a_mxfp4", "mxfp4", "w_mxfp6_e2m3_a_mxfp6_e2m3",
                   "w_mxfp6_e2m3", "w_mxfp6_e3m2_a_mxfp6_e3m2", "w_mxfp6_e3m2"]:
        for dtype in ["bf16", "f16", "f32"]:
            expect_in(run(binary, "check", "--scheme", scheme, "--m", "3", "--n", "72", "--k", "160", "--dtype", dtype),
                      "within the fp32-accumulation bound")
    expect_in(run(binary, "check", "--kernel", "w_nvfp4.stored.emulation", "--k", "64"),
              "kernel      w_nvfp4.stored.emulation")
    # the CPU kernels were once named by layout (.linear. / .swizzled_128x4.): such a name is unknown
    expect_in(run(binary, "check", "--kernel", "w_nvfp4.swizzled_128x4.emulation", "--k", "64", expect=1),
              "unknown kernel 'w_nvfp4.swizzled_128x4.emulation'")
    expect_in(run(binary, "check", "--scheme", "mxfp4", "--k", "48", expect=1), "K=48 is not a multiple")
    run(binary, "nonsense", expect=2)


if __name__ == "__main__":
    binary, case = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        globals()[f"case_{case}"](binary, tmp)
    print(f"cli {case}: ok")
