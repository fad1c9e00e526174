#!/usr/bin/env python3
"""Property test of the `microscale` tool (Python standard library only, fixed seed).

    property_test.py MICROSCALE_BINARY [--seed S] [--keep DIR] [--verbose]

Throws generated inputs at `check`, `qdq`, `inspect` and `run`: shapes with 0, 1, odd and huge
(2^40 rows of width 0) dimensions, float and wrong dtypes (I32, U8, F64, BOOL, ...), tensors of
rank 0 to 3 as activations and as weights, hand-made checkpoints (ModelOpt, compressed-tensors,
Quark, unquantized, stacked MoE experts) with missing, mis-shaped and mis-typed tensors, corrupt
safetensors headers, thread counts (0, 1, 2, -1, 60000, 100000, ...) through --threads and
OMP_NUM_THREADS, negative --m / --n / --k. Every invocation must
  * exit 0 with the output it promises (the output file, its tensors' dtypes and shapes), or
  * exit 1 or 2 with a message on stderr that starts with "microscale <command>:" (after any
    "warning: ..." lines and the OpenMP runtime's own complaint about an invalid OMP_NUM_THREADS);
and never die of a signal, never run past the timeout (20 s), never print a raw C++ library
message ("cannot create std::vector larger than max_size()", "std::bad_alloc", "basic_string",
"terminate called", ...): the tool names the problem instead. Inputs the documentation calls
errors (activation dtypes other than F32 / BF16 / F16, NaN activations, negative sizes or thread
counts, unknown schemes and layouts) must not exit 0.
Ends with "N passed, M failed" (exit 1 if any failed), each failure with its command line.
"""
import argparse
import concurrent.futures
import json
import math
import os
import random
import re
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_test import encode_floats, write_safetensors  # noqa: E402  (stdlib-only helpers)

TIMEOUT_S = 20.0     # one invocation
SLOW_S = 5.0         # reported (not failed) above this
BUDGET_S = 65.0      # all invocations: cases not started by then fail as "not run"
HUGE = 2 ** 40

DTYPE_SIZE = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
              "F8_E4M3": 1, "F8_E8M0": 1}
FLOAT_DTYPES = ["F32", "BF16", "F16"]
WRONG_DTYPES = ["I32", "U8", "F64", "BOOL", "I64", "F8_E4M3"]
SCHEMES = ["NVFP4", "W4A16_NVFP4", "w_nvfp4_a_nvfp4", "w_mxfp4_a_mxfp4", "mxfp4", "w_mxfp6_e2m3_a_mxfp6_e2m3",
           "w_mxfp6_e2m3", "w_mxfp6_e3m2_a_mxfp6_e3m2", "w_mxfp6_e3m2", "nvfp4-pack-quantized"]
KERNELS = ["w_nvfp4_a_nvfp4.stored.emulation", "w_nvfp4.stored.simd", "w_mxfp4_a_mxfp4.stored.emulation",
           "w_mxfp6_e3m2.stored.simd", "moe.w_mxfp4.stored.simd", "no_such_kernel"]
BLOCK = {"nvfp4": 16, "mxfp4": 32, "mxfp6_e2m3": 32, "mxfp6_e3m2": 32}
THREADS = ["0", "1", "2", "-1", "60000", "100000", "2147483647", "99999999999"]
OMP_VALUES = ["0", "1", "2", "-1", "60000", "100000", "abc"]

# What a raw C++ / Boost library message looks like (the tool should have named the problem).
LEAKS = re.compile(r"std::|basic_string|bad_alloc|max_size\(\)|vector::|terminate called|what\(\):|_M_[a-z_]+|"
                   r"bad_array_new_length|bad_optional_access|bad_variant_access|bad_any_cast|boost::|"
                   r"\bsto(?:i|l|ll|ul|ull|f|d)\b")
# Lines allowed before the error message on stderr.
PREAMBLE = re.compile(r"^(warning: .*|libgomp: Invalid value for environment variable OMP_NUM_THREADS)$")


def format_of(scheme):
    s = scheme.lower()
    return "nvfp4" if "nvfp4" in s else "mxfp6_e2m3" if "e2m3" in s else "mxfp6_e3m2" if "e3m2" in s else "mxfp4"


def numel(shape):
    return math.prod(shape) if shape else 1


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------
class Gen:
    def __init__(self, rng, folder):
        self.rng, self.folder, self.count = rng, folder, 0

    def path(self, stem, ext=".safetensors"):
        self.count += 1
        return os.path.join(self.folder, f"{self.count:04d}-{stem}{ext}")

    def floats(self, n, nonfinite=False):
        r = self.rng
        out = []
        for _ in range(n):
            u = r.random()
            v = 0.0 if u < 0.05 else -0.0 if u < 0.07 else r.gauss(0.0, 1.0) * 2.0 ** r.randint(-6, 6)
            out.append(max(min(v, 6.0e4), -6.0e4))
        if nonfinite and n:
            out[r.randrange(n)] = r.choice([math.nan, math.inf, -math.inf])
        return out

    def data(self, dtype, shape, nonfinite=False, limit=1 << 22):
        """bytes of a tensor; random values for float dtypes, random bytes otherwise"""
        n = numel(shape)
        if n * DTYPE_SIZE[dtype] > limit:
            raise ValueError(f"test generator: {dtype} {shape} is too large to write")
        if dtype in FLOAT_DTYPES:
            return encode_floats(dtype, self.floats(n, nonfinite))
        if dtype == "F64":
            return struct.pack(f"<{n}d", *self.floats(n, nonfinite))
        if dtype == "BOOL":
            return bytes(self.rng.randint(0, 1) for _ in range(n))
        return bytes(self.rng.randrange(256) for _ in range(n * DTYPE_SIZE[dtype]))

    def codes(self, n):
        return bytes(self.rng.randrange(256) for _ in range(n))


def write_raw(path, header, data=b"", length=None):
    """a safetensors file from a header object (or raw header bytes), with an optional wrong length"""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text) if length is None else length) + text + data)


# ------------------------------------------------------------------------------------------------
# cases
# ------------------------------------------------------------------------------------------------
class Case:
    def __init__(self, cmd, args, label, env=None, expect=None, must_fail=None, expect_stdout=None):
        self.cmd, self.args, self.label, self.env = cmd, args, label, env or {}
        self.expect = expect                # callable() -> None or a complaint, run when the tool exits 0
        self.expect_stdout = expect_stdout  # callable(stdout) -> None or a complaint, likewise
        self.must_fail = must_fail          # why exit 0 would be wrong (the documentation says it is an error)
        self.stderr_tail = ""


def expect_tensors(path, wanted):
    """wanted: {name: (dtype, shape)}"""
    def check():
        if not os.path.exists(path):
            return f"exit 0 but no output file {os.path.basename(path)}"
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
        for name, (dtype, shape) in wanted.items():
            if name not in header:
                return f"output lacks tensor '{name}' (has {sorted(k for k in header if k != '__metadata__')})"
            got = (header[name]["dtype"], header[name]["shape"])
            if got != (dtype, shape):
                return f"output tensor '{name}' is {got[0]} {got[1]}, expected {dtype} {shape}"
            begin, end = header[name]["data_offsets"]
            if end - begin != numel(shape) * DTYPE_SIZE[dtype]:
                return f"output tensor '{name}' has {end - begin} bytes for {dtype} {shape}"
        return None
    return check


def expect_stdout(fragment):
    return lambda out: None if fragment in out else f"exit 0 but stdout lacks {fragment!r}"


def threads_and_env(g, p_threads=0.35, p_env=0.2):
    """(extra args, env, must_fail reason) for a random thread setting"""
    args, env, bad = [], {}, None
    if g.rng.random() < p_threads:
        t = g.rng.choice(THREADS)
        args = ["--threads", t]
        if t.startswith("-"):
            bad = f"--threads {t} is negative"
    if g.rng.random() < p_env:
        env["OMP_NUM_THREADS"] = g.rng.choice(OMP_VALUES)
    return args, env, bad


def check_cases(g):
    cases = []
    dims = [-7, -1, 0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 48, 64, 96, 160]
    big = [2 ** 31, HUGE, 2 ** 62, 2 ** 63 - 1]
    for i in range(36):
        r = g.rng
        args, bad = [], None
        if r.random() < 0.8:
            args += ["--scheme", r.choice(SCHEMES + ["int3"])]
        else:
            args += ["--kernel", r.choice(KERNELS)]
        if args[1] == "int3" or args[1] == "no_such_kernel" or args[1].startswith("moe."):
            bad = f"{args[0]} {args[1]} is not a linear kernel"
        for name in ("m", "n", "k"):
            if r.random() < 0.75:
                v = r.choice(big) if r.random() < 0.1 else r.choice(dims)
                args += [f"--{name}", str(v)]
                if v <= 0:
                    bad = f"--{name} {v} is not positive"
        if r.random() < 0.5:
            d = r.choice(["bf16", "f16", "f32", "fp16", "fp32", "i32", "f64", "bool"])
            args += ["--dtype", d]
            if d in ("i32", "f64", "bool"):
                bad = f"--dtype {d}"
        t_args, env, t_bad = threads_and_env(g)
        cases.append(Case("check", args + t_args, f"check random #{i}", env, must_fail=bad or t_bad))
    # explicit: negative sizes and thread counts, the defects' shapes
    for args in (["--m", "-1"], ["--n", "-1"], ["--k", "-1"], ["--m", "-1", "--n", "-1", "--k", "-1"],
                 ["--m", str(-2 ** 62)], ["--k", str(HUGE)], ["--m", str(HUGE), "--k", "16"]):
        cases.append(Case("check", ["--scheme", "NVFP4"] + args, "check negative / huge size",
                          must_fail="a size is not positive" if "-" in "".join(args) else None))
    for t in THREADS:
        cases.append(Case("check", ["--scheme", "w_mxfp4_a_mxfp4", "--m", "5", "--n", "48", "--k", "64", "--threads", t],
                          f"check --threads {t}", must_fail=f"--threads {t} is negative" if t.startswith("-") else None))
    for v in OMP_VALUES + [""]:
        cases.append(Case("check", ["--scheme", "NVFP4", "--m", "9", "--n", "40", "--k", "32"], f"check OMP_NUM_THREADS={v!r}",
                          {"OMP_NUM_THREADS": v}))
    # --input / --weights of random rank, shape and dtype
    for i in range(24):
        r = g.rng
        k = r.choice([0, 1, 16, 17, 32, 64])
        xs = r.choice([[3, k], [1, k], [0, k], [k], [], [2, 1, k], [HUGE, 0]])
        ws = r.choice([[8, k], [1, k], [0, k], [k], [], [2, 4, k], [5, r.choice([16, 32, 48])]])
        xd = r.choice(FLOAT_DTYPES * 3 + WRONG_DTYPES)
        wd = r.choice(FLOAT_DTYPES * 3 + WRONG_DTYPES)
        args, bad, label = ["--scheme", r.choice(SCHEMES)], None, "check"
        if r.random() < 0.8:
            px = g.path("check-x")
            nonfinite = r.random() < 0.1
            write_safetensors(px, {"x": (xd, xs, g.data(xd, xs, nonfinite))})
            args += ["--input", px]
            label += f" --input x {xd} {xs}"
            bad = (f"x is {xd}" if xd not in FLOAT_DTYPES else "x is not 2-D" if len(xs) != 2 else
                   "x is empty" if 0 in xs else "x holds a non-finite value" if nonfinite else None)
        if r.random() < 0.8:
            pw = g.path("check-w")
            write_safetensors(pw, {"w": (wd, ws, g.data(wd, ws))})
            args += ["--weights", pw]
            label += f" --weights w {wd} {ws}"
            bad = bad or (f"w is {wd}" if wd in ("I32", "U8", "BOOL", "I64") else "w is not 2-D" if len(ws) != 2 else
                          "w is empty" if 0 in ws else None)
        cases.append(Case("check", args, label, must_fail=bad))
    for c in cases:
        c.expect_stdout = expect_stdout("within the fp32-accumulation bound")
    return cases


def qdq_expected(out, scheme, dtype, shape, layout):
    fmt = format_of(scheme)
    m, k = shape
    blocks = k // BLOCK[fmt]
    scale_shape = [m, blocks] if layout == "linear" else [-(-m // 128) * 128, -(-blocks // 4) * 4]
    return expect_tensors(out, {"x_dq": (dtype, [m, k]), "x_codes": ("U8", [m, k]),
                                "x_scale": ("F8_E4M3" if fmt == "nvfp4" else "U8", scale_shape)})


QDQ_FAULTS = ["scheme", "x dtype", "x rank", "no x", "K not a multiple of the block", "layout", "scale rule",
              "input scale", "non-finite x"]


def qdq_cases(g):
    cases = []
    r = g.rng
    for i in range(130):
        fault = r.choice(QDQ_FAULTS) if r.random() < 0.5 else None
        scheme = "int3" if fault == "scheme" else r.choice(SCHEMES)
        block = BLOCK[format_of(scheme)]
        dtype = r.choice(WRONG_DTYPES) if fault == "x dtype" else r.choice(FLOAT_DTYPES)
        k = r.choice([v for v in (1, 17, 33, 48) if v % block]) if fault == "K not a multiple of the block" else block * r.choice([0, 1, 2, 3, 5, 10])
        m = r.choice([0, 1, 2, 3, 5, 129, 300])
        shape = r.choice([[], [k], [2, 3, k], [1, 1, 1]]) if fault == "x rank" else [m, k]
        name = "y" if fault == "no x" else "x"
        px, out = g.path("qdq-x"), g.path("qdq-y")
        write_safetensors(px, {name: (dtype, shape, g.data(dtype, shape, fault == "non-finite x"))})
        args = ["--scheme", scheme, "--input", px, "--output", out]
        layout = "bogus" if fault == "layout" else r.choice(["linear", "swizzled_128x4", None])
        if layout:
            args += ["--scale-layout", layout]
        if fault == "scale rule" or r.random() < 0.3:
            args += ["--scale-rule", "x" if fault == "scale rule" else r.choice(["even", "floor"])]
        bad_scale = fault == "input scale"
        if bad_scale or r.random() < 0.3:
            args += ["--input-scale", r.choice(["-1", "0", "nan", "inf", "abc"]) if bad_scale else r.choice(["0.01", "1", "1e-30", "1e38"])]
        nvfp4 = format_of(scheme) == "nvfp4"
        bad = {"scheme": "unknown scheme", "x dtype": f"x is {dtype}", "x rank": "x is not 2-D", "no x": "no tensor x",
               "K not a multiple of the block": f"K = {k} is not a multiple of the block {block}",
               "layout": "unknown scale layout", "scale rule": "unknown scale rule",
               "input scale": "--input-scale is not a positive finite number" if nvfp4 else None,
               "non-finite x": "x holds a non-finite value" if numel(shape) else None}.get(fault)
        expect = qdq_expected(out, scheme, dtype, shape, layout or "linear") if len(shape) == 2 and layout != "bogus" else None
        cases.append(Case("qdq", args, f"qdq {scheme} x={name} {dtype} {shape} {layout}" + (f", fault: {fault}" if fault else ""),
                          expect=expect, must_fail=bad))
    # huge row counts of width zero, zero rows of huge width: nothing to compute, no time to spend
    for shape, layout, dtype in [([HUGE, 0], "linear", "F32"), ([HUGE, 0], "swizzled_128x4", "BF16"),
                                 ([0, HUGE], "linear", "F16"), ([2 ** 62, 0], "swizzled_128x4", "F32"),
                                 ([2 ** 63 - 1, 0], "linear", "F32")]:
        px, out = g.path("qdq-huge"), g.path("qdq-huge-y")
        write_safetensors(px, {"x": (dtype, shape, b"")})
        cases.append(Case("qdq", ["--scheme", "NVFP4", "--input", px, "--output", out, "--scale-layout", layout],
                          f"qdq NVFP4 {dtype} {shape} {layout}", expect=qdq_expected(out, "NVFP4", dtype, shape, layout)))
    return cases


# ---- hand-made checkpoints ---------------------------------------------------------------------------
MODULE = "layers.0.proj"
EXPERTS = "layers.0.experts"


def modelopt_config(folder, algo="NVFP4", exclude=()):
    with open(os.path.join(folder, "hf_quant_config.json"), "w") as f:
        json.dump({"producer": {"name": "modelopt", "version": "0.0"},
                   "quantization": {"quant_algo": algo, "kv_cache_quant_algo": None, "group_size": 16,
                                    "exclude_modules": list(exclude)}}, f)


def ct_config(folder, weight_only):
    group = {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "float", "symmetric": True, "group_size": 16,
                                                "strategy": "tensor_group", "dynamic": False}}
    if not weight_only:
        group["input_activations"] = dict(group["weights"], dynamic="local")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
                                           "config_groups": {"group_0": group}, "ignore": []}}, f)


def quark_config(folder, dtype, weight_only):
    spec = {"dtype": dtype, "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0",
            "scale_calculation_mode": "even", "is_dynamic": False}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"quantization_config": {"quant_method": "quark", "exclude": [], "global_quant_config": {
            "weight": spec, "input_tensors": None if weight_only else dict(spec, is_dynamic=True)}}}, f)


def wrong_shape(r, shape):
    """`shape` of the wrong rank or size"""
    options = [[], [numel(shape)], [1] + shape, shape[:1], [s + 1 for s in shape], [0] + shape[1:]]
    return r.choice([o for o in options if o != shape] or [[7]])


LINEAR_FAULTS = ["weight shape", "weight dtype", "scale shape", "scale dtype", "no global scale", "global scale shape",
                 "global scale value", "no input scale", "input scale value", "K not a multiple of the block", "N = 0",
                 "bias"]


def linear_checkpoint(g, kind):
    """(folder, N, K or None when K is not the layer's, description, why run must fail or None) of
    one module MODULE; half the checkpoints are well-formed, the others have one fault"""
    r = g.rng
    folder = g.path(f"ckpt-{kind}", "")
    os.makedirs(folder)
    fault = r.choice(LINEAR_FAULTS) if r.random() < 0.5 else None
    n = 0 if fault == "N = 0" else r.choice([1, 2, 3, 8, 17, 33])
    mx = kind.startswith("quark")
    block = 32 if mx else 16
    k = r.choice([8, 16, 48] if mx else [8, 24]) if fault == "K not a multiple of the block" else r.choice([32, 64, 96] if mx else [16, 32, 64, 96])
    tensors = {}

    def add(name, dtype, shape, data, what):
        if fault == f"{what} shape":
            shape = wrong_shape(r, shape)
            data = g.data(dtype, shape)
        elif fault == f"{what} dtype":
            dtype = r.choice([d for d in DTYPE_SIZE if d != dtype])
            data = g.data(dtype, shape)
        tensors[name] = (dtype, shape, data)

    if kind.startswith("modelopt") or kind.startswith("compressed"):
        ct, a16 = kind.startswith("compressed"), kind.endswith("a16")
        (ct_config(folder, a16) if ct else modelopt_config(folder, "W4A16_NVFP4" if a16 else "NVFP4"))
        add(MODULE + (".weight_packed" if ct else ".weight"), "U8", [n, k // 2], g.codes(n * (k // 2)), "weight")
        add(MODULE + ".weight_scale", "F8_E4M3", [n, k // 16], bytes(r.randrange(0x08, 0x70) for _ in range(n * (k // 16))), "scale")
        one = r.choice([[], [1]])
        value = r.choice([0.0, -1.0, math.nan, math.inf, 1e-45]) if fault == "global scale value" else r.choice([1e-3, 0.02, 448.0])
        if fault != "no global scale":
            add(MODULE + (".weight_global_scale" if ct else ".weight_scale_2"), "F32", one, struct.pack("<f", value) * numel(one),
                "global scale")
        value = r.choice([0.0, -1.0, math.nan, math.inf]) if fault == "input scale value" else r.choice([0.01, 1.0, 300.0])
        if not a16 and fault != "no input scale":
            add(MODULE + (".input_global_scale" if ct else ".input_scale"), "F32", one, struct.pack("<f", value) * numel(one),
                "input scale")
    elif mx:
        dtype = {"quark-fp4": "fp4", "quark-e2m3": "fp6_e2m3", "quark-e3m2": "fp6_e3m2"}[kind.split("-a16")[0]]
        quark_config(folder, dtype, kind.endswith("a16"))
        cols = k // 2 if dtype == "fp4" else k * 3 // 4
        add(MODULE + ".weight", "U8", [n, cols], g.codes(n * cols), "weight")
        add(MODULE + ".weight_scale", "U8", [n, k // 32], bytes(r.randrange(110, 135) for _ in range(n * (k // 32))), "scale")
    else:  # unquantized: a floating-point weight (of any rank, with a weight fault), excluded or not
        modelopt_config(folder, "NVFP4", exclude=[MODULE] if r.random() < 0.5 else [])
        shape = [n, k]
        if fault == "weight shape":
            shape = r.choice([[], [k], [1], [2, n, k], [HUGE, 0], [0, HUGE]])
        dtype = r.choice(WRONG_DTYPES) if fault == "weight dtype" else r.choice(FLOAT_DTYPES)
        tensors[MODULE + ".weight"] = (dtype, shape, g.data(dtype, shape))
        if len(shape) == 2:
            n, k = shape
    if fault == "bias" and n < 4096:
        bias_dtype, bias_shape = r.choice(FLOAT_DTYPES * 2 + WRONG_DTYPES), r.choice([[n], [n + 1], [], [1, n]])
        tensors[MODULE + ".bias"] = (bias_dtype, bias_shape, g.data(bias_dtype, bias_shape))
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    weight = tensors.get(MODULE + ".weight") or tensors.get(MODULE + ".weight_packed")
    rows = weight[1][0] if len(weight[1]) == 2 else n  # y's width if the tool runs the module
    bad = None if len(weight[1]) == 2 else f"the weight is {len(weight[1])}-D (a linear layer's is 2-D)"
    desc = f"{kind} N={n} K={k}" + (f", fault: {fault} ({weight[0]} {weight[1]})" if fault in ("weight shape", "weight dtype") else
                                    f", fault: {fault}" if fault else "")
    return folder, rows, k, desc, bad


MOE_FAULTS = ["E = 0", "K not a multiple of 32", "I not a multiple of 32", "w13 shape", "w2 shape", "w13 scale shape",
              "w2 scale shape", "topk_ids dtype", "topk_ids shape", "topk_ids value", "topk_weights dtype",
              "topk_weights shape", "x"]


def moe_case(g):
    """(checkpoint folder, x file, y's dtype and shape if it runs, description, must_fail) of a
    stacked-experts (Quark) MoE layer EXPERTS and its inputs: well-formed, or with one fault"""
    r = g.rng
    folder = g.path("ckpt-moe", "")
    os.makedirs(folder)
    fault = r.choice(MOE_FAULTS) if r.random() < 0.5 else None
    dtype = r.choice(["fp4", "fp6_e2m3", "fp6_e3m2"])
    quark_config(folder, dtype, r.random() < 0.5)
    e = 0 if fault == "E = 0" else r.choice([1, 2, 4])
    k = 48 if fault == "K not a multiple of 32" else r.choice([32, 64])
    inter = 16 if fault == "I not a multiple of 32" else r.choice([32, 64])
    per = (lambda c: c // 2) if dtype == "fp4" else (lambda c: c * 3 // 4)
    tensors = {}
    for name, rows, cols in (("w13", 2 * inter, k), ("w2", k, inter)):
        shape = [e, rows, per(cols)]
        if fault == f"{name} shape":
            shape = wrong_shape(r, shape)
        tensors[f"{EXPERTS}.{name}_weight"] = ("U8", shape, g.codes(numel(shape)))
        shape = [e, rows, cols // 32]
        if fault == f"{name} scale shape":
            shape = wrong_shape(r, shape)
        tensors[f"{EXPERTS}.{name}_weight_scale"] = ("U8", shape, bytes(r.randrange(115, 130) for _ in range(numel(shape))))
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    t, top_k = r.choice([1, 3, 8, 0]), r.choice([1, 2])
    if fault == "x":
        px, x_dtype, x_shape, bad = x_for(g, k, rows=t, fault=True)
    else:
        px, x_dtype, x_shape, bad = x_for(g, k, rows=t, fault=False)
    x_tensor = _read_single(px)
    ids_dtype = r.choice(["U8", "F32", "I16"]) if fault == "topk_ids dtype" else r.choice(["I32", "I64"])
    ids_shape = wrong_shape(r, [t, top_k]) if fault == "topk_ids shape" else [t, top_k]
    ids = [r.randrange(-1, max(e, 1)) for _ in range(numel(ids_shape))]
    if fault == "topk_ids value" and ids:
        ids[r.randrange(len(ids))] = r.choice([e, -2, 2 ** 31 - 1, -2 ** 31])
    ids_data = (struct.pack(f"<{len(ids)}i", *ids) if ids_dtype == "I32" else struct.pack(f"<{len(ids)}q", *ids)
                if ids_dtype == "I64" else g.data(ids_dtype, ids_shape))
    w_dtype = r.choice(["I32", "U8"]) if fault == "topk_weights dtype" else r.choice(["F32", "BF16"])
    w_shape = wrong_shape(r, [t, top_k]) if fault == "topk_weights shape" else ids_shape
    write_safetensors(px, {"x": x_tensor, "topk_ids": (ids_dtype, ids_shape, ids_data),
                           "topk_weights": (w_dtype, w_shape, g.data(w_dtype, w_shape))})
    desc = (f"moe {dtype} E={e} K={k} I={inter} x {x_dtype} {x_shape} topk_ids {ids_dtype} {ids_shape}"
            + (f", fault: {fault}" if fault else ""))
    return folder, px, (x_dtype, [x_shape[0], k] if len(x_shape) == 2 else None), desc, bad


def corrupt_checkpoints(g):
    """single-file checkpoints whose safetensors header lies"""
    out = []
    good = {"dtype": "U8", "shape": [4, 8], "data_offsets": [0, 32]}
    variants = [
        ("header length past the end", {MODULE + ".weight": good}, b"\0" * 32, 1 << 40),
        ("header length 0", {MODULE + ".weight": good}, b"\0" * 32, 0),
        ("header not JSON", b"{\"a\": [1, 2", b"", None),
        ("header a JSON list", b"[1, 2, 3]   ", b"", None),
        ("data_offsets past the end", {MODULE + ".weight": dict(good, data_offsets=[0, 1 << 40])}, b"\0" * 32, None),
        ("data_offsets reversed", {MODULE + ".weight": dict(good, data_offsets=[32, 0])}, b"\0" * 32, None),
        ("data_offsets too short for the shape", {MODULE + ".weight": dict(good, data_offsets=[0, 8])}, b"\0" * 32, None),
        ("negative dimension", {MODULE + ".weight": dict(good, shape=[-4, -8])}, b"\0" * 32, None),
        ("shape overflows 2^64", {MODULE + ".weight": dict(good, shape=[2 ** 62, 2 ** 62], data_offsets=[0, 0])}, b"", None),
        ("huge shape, no data", {MODULE + ".weight": dict(good, shape=[HUGE, 16], data_offsets=[0, 0])}, b"", None),
        ("unknown dtype", {MODULE + ".weight": dict(good, dtype="F128")}, b"\0" * 32, None),
        ("shape not a list", {MODULE + ".weight": dict(good, shape="4x8")}, b"\0" * 32, None),
        ("dimension a float", {MODULE + ".weight": dict(good, shape=[4.5, 8])}, b"\0" * 32, None),
        ("overlapping tensors", {MODULE + ".weight": good, MODULE + ".weight_scale": dict(good, shape=[4, 1], data_offsets=[0, 4])},
         b"\0" * 32, None),
    ]
    for desc, header, data, length in variants:
        path = g.path("corrupt")
        write_raw(path, header, data, length)
        out.append((path, desc))
    return out


def x_for(g, k, rows=None, fault=None):
    """(path, dtype, shape, must_fail reason) of an activation tensor x for a layer of width k:
    well-formed unless `fault` (None: one time in four) asks for a wrong dtype, rank, width or value"""
    r = g.rng
    if fault is None:
        fault = r.random() < 0.25
    kind = r.choice(["dtype", "rank", "width", "nonfinite"]) if fault else None
    dtype = r.choice(WRONG_DTYPES) if kind == "dtype" else r.choice(FLOAT_DTYPES)
    m = rows if rows is not None else r.choice([1, 2, 3, 7, 0])
    width = r.choice([w for w in (16, 32, 1, 0) if w != k]) if kind == "width" else k
    if width > 1 << 16:
        m = 0  # x [0, 2^40] for a layer of width 2^40
    shape = r.choice([[], [width if m else 0], [1, m, width]]) if kind == "rank" else [m, width]
    nonfinite = kind == "nonfinite"
    path = g.path("x")
    write_safetensors(path, {"x": (dtype, shape, g.data(dtype, shape, nonfinite))})
    bad = (f"x is {dtype}" if dtype not in FLOAT_DTYPES else "x is not 2-D" if len(shape) != 2 else
           "x holds a non-finite value" if nonfinite and numel(shape) else None)
    return path, dtype, shape, bad


def checkpoint_cases(g):
    cases = []
    r = g.rng
    kinds = ["modelopt", "modelopt-a16", "compressed-tensors", "compressed-tensors-a16", "quark-fp4", "quark-e2m3",
             "quark-e3m2-a16", "quark-fp4-a16", "unquantized", "unquantized"]
    for i in range(110):
        folder, n, k, desc, weight_bad = linear_checkpoint(g, kinds[i % len(kinds)])
        if i % 3 == 0:
            cases.append(Case("inspect", [folder] + r.choice([[], ["--json"], ["--no-prepare"], ["--json", "--no-prepare"]]),
                              f"inspect {desc}"))
        for _ in range(2):
            px, dtype, shape, bad = x_for(g, k)
            out = g.path("y")
            args = ["--checkpoint", folder, "--layer", MODULE, "--input", px, "--output", out]
            if r.random() < 0.15:
                args += ["--kernel", r.choice(KERNELS)]
            t_args, env, t_bad = threads_and_env(g)
            expect = expect_tensors(out, {"y": (dtype, [shape[0], n])}) if len(shape) == 2 else None
            cases.append(Case("run", args + t_args, f"run {desc}; x {dtype} {shape}", env, expect, bad or t_bad or weight_bad))
    for i in range(60):
        folder, px, y, desc, bad = moe_case(g)
        if i % 3 == 0:
            cases.append(Case("inspect", [folder, "--json"], f"inspect {desc}"))
        out = g.path("y")
        t_args, env, t_bad = threads_and_env(g, 0.5, 0.25)
        expect = expect_tensors(out, {"y": (y[0], y[1])}) if y[1] else None
        cases.append(Case("run", ["--checkpoint", folder, "--layer", EXPERTS, "--input", px, "--output", out] + t_args,
                          f"run {desc}", env, expect, bad or t_bad))
    for path, desc in corrupt_checkpoints(g):
        lie = None if desc == "overlapping tensors" else f"the checkpoint's safetensors header is invalid ({desc})"
        cases.append(Case("inspect", [path], f"inspect: {desc}", must_fail=lie))
        px, _, _, _ = x_for(g, 16)
        cases.append(Case("run", ["--checkpoint", path, "--layer", MODULE, "--input", px, "--output", g.path("y")],
                          f"run: {desc}", must_fail=lie))
        cases.append(Case("qdq", ["--scheme", "NVFP4", "--input", path, "--output", g.path("y")], f"qdq: {desc}",
                          must_fail="the input is corrupt (and holds no x)"))
    # a valid layer under every thread setting (the libgomp defects)
    folder, n, k, desc = linear_checkpoint_valid(g)
    px = g.path("x")
    write_safetensors(px, {"x": ("BF16", [5, k], g.data("BF16", [5, k]))})
    for t in THREADS:
        out = g.path("y")
        cases.append(Case("run", ["--checkpoint", folder, "--layer", MODULE, "--input", px, "--output", out, "--threads", t],
                          f"run {desc} --threads {t}", expect=expect_tensors(out, {"y": ("BF16", [5, n])}),
                          must_fail=f"--threads {t} is negative" if t.startswith("-") else None))
    for v in OMP_VALUES:
        out = g.path("y")
        cases.append(Case("run", ["--checkpoint", folder, "--layer", MODULE, "--input", px, "--output", out],
                          f"run {desc} OMP_NUM_THREADS={v}", {"OMP_NUM_THREADS": v}, expect_tensors(out, {"y": ("BF16", [5, n])})))
    # 2^40 rows of width zero into a real layer (K mismatch), and 0-d / 1-d weights with matching x
    for shape in ([HUGE, 0], [0, k], [0, 0]):
        px = g.path("x-huge")
        write_safetensors(px, {"x": ("F32", shape, b"")})
        out = g.path("y")
        cases.append(Case("run", ["--checkpoint", folder, "--layer", MODULE, "--input", px, "--output", out],
                          f"run {desc}; x F32 {shape}", expect=expect_tensors(out, {"y": ("F32", [shape[0], n])})))
    for wshape in ([], [1], [16], [64], [1, 1, 16]):
        f2 = g.path("ckpt-dense", "")
        os.makedirs(f2)
        modelopt_config(f2, "NVFP4", exclude=[MODULE])
        write_safetensors(os.path.join(f2, "model.safetensors"), {MODULE + ".weight": ("F32", wshape, g.data("F32", wshape))})
        for xshape in ([1, numel(wshape)], [3, 1], [2, 16]):
            px = g.path("x")
            write_safetensors(px, {"x": ("F32", xshape, g.data("F32", xshape))})
            cases.append(Case("run", ["--checkpoint", f2, "--layer", MODULE, "--input", px, "--output", g.path("y")],
                              f"run unquantized weight F32 {wshape}; x F32 {xshape}",
                              must_fail=f"the weight is {len(wshape)}-D (a linear layer's is 2-D)"))
        cases.append(Case("inspect", [f2, "--json"], f"inspect unquantized weight F32 {wshape}"))
    return cases


def linear_checkpoint_valid(g):
    folder = g.path("ckpt-valid", "")
    os.makedirs(folder)
    modelopt_config(folder, "NVFP4")
    n, k = 24, 64
    write_safetensors(os.path.join(folder, "model.safetensors"), {
        MODULE + ".weight": ("U8", [n, k // 2], g.codes(n * k // 2)),
        MODULE + ".weight_scale": ("F8_E4M3", [n, k // 16], bytes(g.rng.randrange(0x20, 0x60) for _ in range(n * k // 16))),
        MODULE + ".weight_scale_2": ("F32", [], struct.pack("<f", 1e-3)),
        MODULE + ".input_scale": ("F32", [], struct.pack("<f", 0.01))})
    return folder, n, k, "modelopt NVFP4 N=24 K=64"


def _read_single(path):
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    t = json.loads(blob[8:8 + n])["x"]
    return (t["dtype"], t["shape"], blob[8 + n + t["data_offsets"][0]:8 + n + t["data_offsets"][1]])


# ------------------------------------------------------------------------------------------------
# running and judging
# ------------------------------------------------------------------------------------------------
def judge(binary, case, deadline):
    """(problem or None, cause, seconds, outcome: "exit N" / "timeout" / "signal" / "not run")"""
    if time.monotonic() > deadline:
        return f"not run: the time budget ({BUDGET_S:.0f} s) went to earlier cases", "not run (time budget spent)", 0.0, "not run"
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    env.update(case.env)
    t0 = time.monotonic()
    try:
        p = subprocess.run([binary, case.cmd, *case.args], capture_output=True, text=True, errors="replace", env=env,
                           timeout=TIMEOUT_S, start_new_session=True)
    except subprocess.TimeoutExpired:
        return f"no result after {TIMEOUT_S:.0f} s (killed)", "timeout", time.monotonic() - t0, "timeout"
    seconds = time.monotonic() - t0
    outcome = "signal" if p.returncode < 0 else f"exit {p.returncode}"
    text = p.stdout + p.stderr
    tail = " | ".join(line for line in p.stderr.strip().splitlines()[-3:])[:300]
    case.stderr_tail = tail
    if p.returncode < 0:
        name = signal.Signals(-p.returncode).name if -p.returncode in signal.valid_signals() else str(-p.returncode)
        return f"killed by {name}; stderr: {tail!r}", f"signal {name}", seconds, outcome
    leak = LEAKS.search(text)
    if leak:
        line = next(l for l in text.splitlines() if leak.group(0) in l)
        return f"exit {p.returncode}, raw library message: {line.strip()[:300]!r}", "raw C++ library message", seconds, outcome
    if p.returncode == 0:
        if case.must_fail:
            return f"exit 0, but {case.must_fail} (documented as an error)", "accepted invalid input", seconds, outcome
        if case.expect_stdout:
            problem = case.expect_stdout(p.stdout)
            if problem:
                return problem, "wrong output", seconds, outcome
        if case.expect:
            problem = case.expect()
            if problem:
                return problem, "wrong output", seconds, outcome
        if case.cmd == "inspect" and "--json" in case.args:
            try:
                json.loads(p.stdout)
            except ValueError as e:
                return f"exit 0, --json output is not JSON ({e})", "wrong output", seconds, outcome
        return None, "ok", seconds, outcome
    if p.returncode in (1, 2):
        if p.returncode == 1 and case.cmd == "check" and "EXCEEDS the fp32-accumulation bound" in p.stdout:
            return "check: a kernel EXCEEDS the fp32-accumulation bound", "wrong output", seconds, outcome
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        while lines and PREAMBLE.match(lines[0]):
            lines.pop(0)
        if not lines:
            return f"exit {p.returncode} with no message on stderr", "no error message", seconds, outcome
        if not lines[0].startswith(f"microscale {case.cmd}:"):
            return f"exit {p.returncode}, stderr does not start with 'microscale {case.cmd}:': {tail!r}", "unnamed error", seconds, outcome
        return None, "ok", seconds, outcome
    return f"exit {p.returncode}; stderr: {tail!r}", f"exit code {p.returncode}", seconds, outcome


def command_line(binary, case, tmp):
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in case.env.items())
    cmd = " ".join(shlex.quote(a) for a in ["microscale", case.cmd, *case.args]).replace(tmp, "$TMP")
    return (env + " " if env else "") + cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=20260511)
    ap.add_argument("--keep", help="write the generated inputs here and keep them (to reproduce a failure)")
    ap.add_argument("--verbose", action="store_true", help="print every case")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ms-property-") as scratch:
        tmp = os.path.abspath(args.keep) if args.keep else scratch
        os.makedirs(tmp, exist_ok=True)
        if os.listdir(tmp):
            sys.exit(f"--keep {tmp}: the folder is not empty")
        g = Gen(random.Random(args.seed), tmp)
        cases = check_cases(g) + qdq_cases(g) + checkpoint_cases(g)
        workers = max(1, min(2, os.cpu_count() or 1))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            deadline = time.monotonic() + BUDGET_S
            results = list(pool.map(lambda c: judge(binary, c, deadline), cases))
        failures, slow = {}, []
        outcomes = {}
        for case, (problem, cause, seconds, outcome) in zip(cases, results):
            line = command_line(binary, case, tmp)
            outcomes.setdefault(case.cmd, {}).setdefault(outcome, 0)
            outcomes[case.cmd][outcome] += 1
            if args.verbose:
                print(f"{'FAIL' if problem else 'ok  '} {seconds:6.2f}s {outcome:7s} {case.label}\n       {line}\n"
                      f"       stderr: {case.stderr_tail}")
            if problem:
                failures.setdefault(cause, []).append((case, line, problem))
            elif seconds > SLOW_S:
                slow.append((seconds, case, line))
        for cause in sorted(failures, key=lambda c: (-len(failures[c]), c)):
            print(f"\n== {cause}: {len(failures[cause])}")
            for case, line, problem in failures[cause]:
                print(f"  [{case.label}]\n    {line}\n    -> {problem}")
        if slow:
            print(f"\n== slow (more than {SLOW_S:.0f} s, passed):")
            for seconds, case, line in sorted(slow, key=lambda s: -s[0]):
                print(f"  {seconds:.1f} s [{case.label}]\n    {line}")
        print("\noutcomes: " + "; ".join(f"{cmd} " + ", ".join(f"{k} x{v}" for k, v in sorted(o.items()))
                                         for cmd, o in sorted(outcomes.items())))
        failed = sum(len(v) for v in failures.values())
        print(f"\nproperty test (seed {args.seed}, {len(cases)} invocations, {time.monotonic() - t_start:.1f} s): "
              f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
