#!/usr/bin/env python3
"""Regression tests, at the command line where users met them, of inputs that once crashed the
tool, hung it, leaked a library message, or left a stale or mixed checkpoint (issue "Reliability
hardening"). Python 3 standard library only.

    hardening_test.py MICROSCALE_BINARY CASE
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_test import (E4M3, check_linear_run, decode_floats, dequantize_rows, expect_close, expect_in, f32, f32_bytes,  # noqa: E402
                      moe_reference, read_header, read_tensors, write_safetensors)


def call(binary, *args, env=None, timeout=60):
    """(exit code, stdout, stderr); a signal or a time-out fails the test."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        p = subprocess.run([binary, *args], capture_output=True, text=True, env=full_env, timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.exit(f"`microscale {' '.join(args)}` ran over {timeout} s")
    if p.returncode < 0:
        sys.exit(f"`microscale {' '.join(args)}` died of signal {-p.returncode}\nstderr:\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def expect(binary, *args, code, says=None, env=None, timeout=60):
    rc, out, err = call(binary, *args, env=env, timeout=timeout)
    if rc != code:
        sys.exit(f"`microscale {' '.join(args)}` exited {rc}, expected {code}\nstdout:\n{out}\nstderr:\n{err}")
    if says is not None:
        expect_in(out + err, says)
    return out, err


def model(path, layers=2, nan_last=False, seed=1):
    """A small fp32 model: per layer gate/up [64, 128] and down [128, 64], plus a 1-D norm."""
    tensors, value = {}, seed
    for layer in range(layers):
        for name, shape in (("gate_proj", [64, 128]), ("up_proj", [64, 128]), ("down_proj", [128, 64])):
            count = shape[0] * shape[1]
            values = [((i * 7919 + value * 104729) % 2001 - 1000) * 2e-5 for i in range(count)]
            if nan_last and layer == layers - 1:
                values[3] = float("nan")
            tensors[f"model.layers.{layer}.mlp.{name}.weight"] = ("F32", shape, f32_bytes(values))
            value += 1
    tensors["model.norm.weight"] = ("F32", [128], f32_bytes([1.0] * 128))
    write_safetensors(path, tensors)


def snapshot(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = fh.read()
    return out


def codes(n, seed):
    """n packed fp4 element bytes (every byte is valid fp4 data)"""
    return bytes((((j + 97 * seed) * 2654435761) >> 7) & 0xFF for j in range(n))


def e4m3_scales(n, seed):
    """n e4m3 block scales 0.5 .. 1.875 (0x30..0x3F: no sign bit, never the NaN code)"""
    return bytes(0x30 + ((seed + i * 5) & 0x0F) for i in range(n))


MODELOPT_W4A16 = '{"quantization": {"quant_algo": "W4A16_NVFP4", "group_size": 16, "exclude_modules": []}}'


def ct_config(ignore):
    """compressed-tensors NVFP4 weight-only (W4A16), as llm-compressor writes it"""
    args = {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16, "symmetric": True, "dynamic": False}
    return {"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
                                    "config_groups": {"group_0": {"targets": ["Linear"], "weights": args, "input_activations": None}},
                                    "ignore": ignore}}


def quark_config(exclude):
    return {"quantization_config": {"quant_method": "quark", "exclude": exclude, "global_quant_config": {"weight": {
        "dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": None}}}


def case_threads(binary, tmp):
    # more threads than processors: clamped with one warning, never handed to libgomp
    expect(binary, "check", "--scheme", "NVFP4", "--m", "64", "--threads", "100000", code=0, says="warning: --threads 100000 is more than")
    expect(binary, "check", "--scheme", "w_mxfp4", "--m", "16", "--threads", "60000", code=0)
    expect(binary, "check", "--scheme", "NVFP4", "--m", "64", code=0, env={"OMP_NUM_THREADS": "100000"}, says="warning: OMP_NUM_THREADS=100000")
    expect(binary, "check", "--scheme", "NVFP4", "--threads", "-1", code=2, says="microscale check: --threads -1 is negative")
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [3, 128], f32_bytes([0.25] * 384))})
    ckpt = os.path.join(tmp, "ckpt")
    model(os.path.join(tmp, "m.safetensors"), layers=1)
    expect(binary, "quantize", "--scheme", "w_nvfp4", "--input", os.path.join(tmp, "m.safetensors"), "--output", ckpt, code=0)
    y = os.path.join(tmp, "y.safetensors")
    expect(binary, "run", "--checkpoint", ckpt, "--layer", "model.layers.0.mlp.up_proj", "--input", x, "--output", y,
           "--threads", "100000", code=0, says="using")
    expect(binary, "run", "--checkpoint", ckpt, "--layer", "model.layers.0.mlp.up_proj", "--input", x, "--output", y,
           code=0, env={"OMP_NUM_THREADS": "100000"})
    expect(binary, "run", "--checkpoint", ckpt, "--layer", "model.layers.0.mlp.up_proj", "--input", x, "--output", y,
           "--threads", "-1", code=2, says="--threads -1 is negative")


def case_demo(binary, tmp):
    # the demo once handed --threads / OMP_NUM_THREADS to libgomp as given: SIGSEGV at 100000. A
    # whole run (the README's first command) must finish, with one clamp warning. One run only (it
    # is the slowest CLI test, and runs under the sanitizers too): OMP_NUM_THREADS goes through the
    # same clamp, which case_threads checks with `check` and `run`.
    expect(binary, "demo", "--threads", "-1", code=2, says="microscale demo: --threads -1 is negative")
    work = os.path.join(tmp, "demo")
    for args, env, clamp in ((["--threads", "100000"], None, "warning: --threads 100000 is more than the "),):
        out, err = expect(binary, "demo", "--workdir", work, *args, code=0, env=env, timeout=600)
        warnings = [line for line in out.splitlines() + err.splitlines() if "warning:" in line]
        if len(warnings) != 1 or not warnings[0].startswith(clamp):
            sys.exit(f"`microscale demo {' '.join(args)}` (env {env}): expected one warning {clamp!r}..., got {warnings}")
        expect_in(out, "MLP blocks (hidden")
        if not any(line.startswith("w_nvfp4_a_nvfp4 ") for line in out.splitlines()):
            sys.exit(f"the demo's table has no w_nvfp4_a_nvfp4 row:\n{out}")
        expect_in(out, "checkpoints in " + work)


def case_ranks(binary, tmp):
    # 0-d and 1-d weights: a message naming the tensor, not a segfault or an out-of-bounds read
    ckpt = os.path.join(tmp, "ranks")
    os.makedirs(ckpt)
    write_safetensors(os.path.join(ckpt, "model.safetensors"), {
        "scalar.weight": ("F32", [], f32_bytes([1.0])),
        "model.norm.weight": ("F32", [128], f32_bytes([1.0] * 128)),
        "packed.weight": ("U8", [64], bytes(64)),
        "packed.weight_scale": ("F8_E4M3", [8], bytes(8)),
        "packed.weight_scale_2": ("F32", [], f32_bytes([1.0])),
    })
    with open(os.path.join(ckpt, "hf_quant_config.json"), "w") as f:
        f.write('{"quantization": {"quant_algo": "W4A16_NVFP4", "group_size": 16, "exclude_modules": []}}')
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [1, 128], f32_bytes([1.0] * 128))})
    y = os.path.join(tmp, "y.safetensors")
    expect(binary, "run", "--checkpoint", ckpt, "--layer", "scalar", "--input", x, "--output", y, code=1,
           says="tensor 'scalar.weight' is F32 []; a linear module's weight is 2-D")
    expect(binary, "run", "--checkpoint", ckpt, "--layer", "model.norm", "--input", x, "--output", y, code=1,
           says="tensor 'model.norm.weight' is F32 [128]; a linear module's weight is 2-D")
    # inspect lists the malformed quantized module as a problem (it was silently dropped) and exits 1
    out, err = expect(binary, "inspect", ckpt, code=1, says="packed  PROBLEM: ")
    expect_in(err, "1 malformed module(s)")
    if "model.norm" in out:
        sys.exit(f"a 1-D norm weight is listed as a linear module:\n{out}")
    # a 0-d packed weight: also a reported problem (it too was silently dropped), beside a good module
    ckpt0 = os.path.join(tmp, "ranks0d")
    os.makedirs(ckpt0)
    write_safetensors(os.path.join(ckpt0, "model.safetensors"), {
        "packed0d.weight": ("U8", [], bytes(1)),
        "packed0d.weight_scale": ("F8_E4M3", [1], bytes([0x38])),
        "packed0d.weight_scale_2": ("F32", [], f32_bytes([1.0])),
        "dense.weight": ("F32", [4, 128], f32_bytes([0.5] * 512)),
    })
    with open(os.path.join(ckpt0, "hf_quant_config.json"), "w") as f:
        f.write(MODELOPT_W4A16)
    problem = "packed0d: tensor 'packed0d.weight' is U8 []; a linear module's weight is 2-D ([N, K packed])"
    out, err = expect(binary, "inspect", ckpt0, code=1, says="packed0d  PROBLEM: ")
    expect_in(out, problem)
    expect_in(out, "dense  [4 x 128]  unquantized")
    expect_in(err, "1 malformed module(s)")
    out, _ = expect(binary, "inspect", ckpt0, "--json", code=1)
    problems = json.loads(out)["problems"]
    if [p["name"] for p in problems] != ["packed0d"] or problem not in problems[0]["error"]:
        sys.exit(f"inspect --json problems: {problems}")
    expect(binary, "run", "--checkpoint", ckpt0, "--layer", "packed0d", "--input", x, "--output", y, code=1,
           says="microscale run: error: " + os.path.join(ckpt0, "model.safetensors") + ": " + problem)


def case_empty(binary, tmp):
    # [2^40, 0]: an 88-byte file once looped for an hour; empty work finishes at once
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("BF16", [2 ** 40, 0], b"")})
    for scheme in ("NVFP4", "w_mxfp4_a_mxfp4", "w_mxfp6_e3m2_a_mxfp6_e3m2"):
        y = os.path.join(tmp, f"y_{scheme}.safetensors")
        expect(binary, "qdq", "--scheme", scheme, "--input", x, "--output", y, code=0, timeout=10)
        header = read_header(y)
        for name in ("x_dq", "x_codes", "x_scale"):
            if header[name]["shape"] != [2 ** 40, 0]:
                sys.exit(f"{scheme}: {name} has shape {header[name]['shape']}, expected [2^40, 0]")
    # swizzled: [2^40, 0] pads to [2^40, 0] too (no columns to pad)
    y = os.path.join(tmp, "y_swizzled.safetensors")
    expect(binary, "qdq", "--scheme", "w_mxfp4_a_mxfp4", "--scale-layout", "swizzled_128x4", "--input", x, "--output", y, code=0, timeout=10)
    # sizes that cannot be allocated are named, not std::bad_alloc / max_size()
    expect(binary, "check", "--scheme", "NVFP4", "--m", "-1", code=2, says="--m must be positive, got -1")
    _, err = expect(binary, "check", "--scheme", "NVFP4", "--m", str(2 ** 40), "--k", "64", code=1, says="needs")
    for leak in ("max_size", "bad_alloc"):
        if leak in err:
            sys.exit(f"library message leaked: {err}")


def moe_checkpoint(folder, scale_dtype, scale_shape, scale_bytes):
    """A Quark MXFP4 stacked MoE layer (E=2, 2I=64, K=64) whose w13 scale is given."""
    e, inter, hidden = 2, 32, 64
    os.makedirs(folder)
    write_safetensors(os.path.join(folder, "model.safetensors"), {
        "moe.w13_weight": ("U8", [e, 2 * inter, hidden // 2], bytes([0x21]) * (e * 2 * inter * hidden // 2)),
        "moe.w13_weight_scale": (scale_dtype, scale_shape, scale_bytes),
        "moe.w2_weight": ("U8", [e, hidden, inter // 2], bytes([0x21]) * (e * hidden * inter // 2)),
        "moe.w2_weight_scale": ("U8", [e, hidden, inter // 32], bytes([127]) * (e * hidden * inter // 32)),
    })
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write('{"quantization_config": {"quant_method": "quark", "exclude": [], "global_quant_config": {"weight": '
                '{"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": null}}}')


def case_moe_scales(binary, tmp):
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [1, 64], f32_bytes([0.1] * 64)),
                          "topk_ids": ("I32", [1, 1], struct.pack("<i", 1)),
                          "topk_weights": ("F32", [1, 1], f32_bytes([1.0]))})
    y = os.path.join(tmp, "y.safetensors")
    good = os.path.join(tmp, "good")
    moe_checkpoint(good, "U8", [2, 64, 2], bytes([127]) * 256)
    expect(binary, "run", "--checkpoint", good, "--layer", "moe", "--input", x, "--output", y, code=0)
    # F32 scales of all 1.0: the element count is right, the dtype is not (outputs of 244 once)
    f32_scales = os.path.join(tmp, "f32")
    moe_checkpoint(f32_scales, "F32", [2, 64, 2], f32_bytes([1.0] * 256))
    expect(binary, "run", "--checkpoint", f32_scales, "--layer", "moe", "--input", x, "--output", y, code=1,
           says="tensor 'moe.w13_weight_scale' is F32 [2, 64, 2], expected U8 (e8m0) [2, 64, 2]")
    transposed = os.path.join(tmp, "transposed")
    moe_checkpoint(transposed, "U8", [2, 2, 64], bytes([127]) * 256)
    expect(binary, "run", "--checkpoint", transposed, "--layer", "moe", "--input", x, "--output", y, code=1,
           says="is U8 [2, 2, 64], expected U8 (e8m0) [2, 64, 2]")


def ct_moe_checkpoint(folder, change=None):
    """A compressed-tensors NVFP4 W4A16 stacked MoE layer `moe` (E=2, 2I=64, K=64), named as
    llm-compressor names it: w13_/w2_ weight_packed, weight_scale (e4m3), weight_global_scale [E]
    (the reciprocal of G, powers of two here). `change`: tensors that replace the good ones."""
    e, inter, hidden = 2, 32, 64
    tensors = {
        "moe.w13_weight_packed": ("U8", [e, 2 * inter, hidden // 2], codes(e * 2 * inter * hidden // 2, 1)),
        "moe.w13_weight_scale": ("F8_E4M3", [e, 2 * inter, hidden // 16], e4m3_scales(e * 2 * inter * hidden // 16, 2)),
        "moe.w13_weight_global_scale": ("F32", [e], f32_bytes([64.0, 128.0])),
        "moe.w2_weight_packed": ("U8", [e, hidden, inter // 2], codes(e * hidden * inter // 2, 3)),
        "moe.w2_weight_scale": ("F8_E4M3", [e, hidden, inter // 16], e4m3_scales(e * hidden * inter // 16, 4)),
        "moe.w2_weight_global_scale": ("F32", [e], f32_bytes([32.0, 64.0])),
    }
    tensors.update(change or {})
    os.makedirs(folder)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(ct_config(["lm_head"]), f)
    return tensors


def case_ct_moe_scales(binary, tmp):
    # the stacked-MoE dtype / shape checks of case_moe_scales (Quark), for compressed-tensors NVFP4
    e, inter, hidden, tokens, top_k = 2, 32, 64, 2, 2
    x_values = [f32(((j * 7) % 11) / 5.0 - 1.0) for j in range(tokens * hidden)]
    ids, router = [0, 1, 1, -1], [0.75, 0.25, 1.0, 0.0]
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [tokens, hidden], f32_bytes(x_values)),
                          "topk_ids": ("I32", [tokens, top_k], struct.pack("<4i", *ids)),
                          "topk_weights": ("F32", [tokens, top_k], f32_bytes(router))})
    y = os.path.join(tmp, "y.safetensors")
    good = os.path.join(tmp, "good")
    stored = ct_moe_checkpoint(good)
    expect(binary, "run", "--checkpoint", good, "--layer", "moe", "--input", x, "--output", y, code=0, says="moe (2 experts, K=64, I=32)")
    # the values: w = e2m1(q) * e4m3(s) / weight_global_scale (exact here), against the fp64 reference
    def experts(stem, rows, cols):
        packed, scales = stored[stem + "_weight_packed"][2], stored[stem + "_weight_scale"][2]
        gs = struct.unpack(f"<{e}f", stored[stem + "_weight_global_scale"][2])
        per_p, per_s = rows * cols // 2, rows * cols // 16
        return [dequantize_rows("nvfp4", packed[i * per_p:(i + 1) * per_p], scales[i * per_s:(i + 1) * per_s], rows, cols,
                                lambda s, g=gs[i]: E4M3.decode(s) / g) for i in range(e)]
    exact, bound = moe_reference(x_values, tokens, hidden, ids, router, top_k, experts("moe.w13", 2 * inter, hidden),
                                 experts("moe.w2", hidden, inter), "F32")
    got = read_tensors(y)["y"]
    if got[:2] != ("F32", [tokens, hidden]):
        sys.exit(f"y is {got[:2]}, expected F32 [{tokens}, {hidden}]")
    expect_close("compressed-tensors stacked MoE", decode_floats("F32", got[2]), exact, bound)
    # each wrong scale is named; none runs (F32 scales of the right element count once did)
    s13 = [e, 2 * inter, hidden // 16]
    bad = {
        "f32": ({"moe.w13_weight_scale": ("F32", s13, f32_bytes([1.0] * (e * 2 * inter * hidden // 16)))},
                "tensor 'moe.w13_weight_scale' is F32 [2, 64, 4], expected F8_E4M3 [2, 64, 4]"),
        "e5m2": ({"moe.w13_weight_scale": ("F8_E5M2", s13, e4m3_scales(e * 2 * inter * hidden // 16, 2))},
                 "tensor 'moe.w13_weight_scale' is F8_E5M2 [2, 64, 4], expected F8_E4M3 [2, 64, 4]"),
        "transposed13": ({"moe.w13_weight_scale": ("F8_E4M3", [e, hidden // 16, 2 * inter], e4m3_scales(e * 2 * inter * hidden // 16, 2))},
                         "tensor 'moe.w13_weight_scale' is F8_E4M3 [2, 4, 64], expected F8_E4M3 [2, 64, 4]"),
        "transposed2": ({"moe.w2_weight_scale": ("F8_E4M3", [e, inter // 16, hidden], e4m3_scales(e * hidden * inter // 16, 4))},
                        "tensor 'moe.w2_weight_scale' is F8_E4M3 [2, 2, 64], expected F8_E4M3 [2, 64, 2]"),
        "global_shape": ({"moe.w13_weight_global_scale": ("F32", [1, e], f32_bytes([64.0, 128.0]))},
                         "tensor 'moe.w13_weight_global_scale' is F32 [1, 2], expected F32 [2] or [2, 2]"),
    }
    for name, (change, message) in bad.items():
        folder = os.path.join(tmp, name)
        ct_moe_checkpoint(folder, change)
        expect(binary, "run", "--checkpoint", folder, "--layer", "moe", "--input", x, "--output", y, code=1,
               says="microscale run: error: " + os.path.join(folder, "model.safetensors") + ": " + message)
    # inspect lists such a layer as a problem
    out, err = expect(binary, "inspect", os.path.join(tmp, "f32"), code=1, says="moe  PROBLEM: ")
    expect_in(out, bad["f32"][1])
    expect_in(err, "1 malformed module(s)")


def modelopt_module(folder, scale3):
    """A ModelOpt NVFP4 W4A16 module `l` [8 x 32] whose block scale byte 3 is `scale3`."""
    scales = bytearray(e4m3_scales(16, 0))
    scales[3] = scale3
    os.makedirs(folder)
    write_safetensors(os.path.join(folder, "model.safetensors"), {
        "l.weight": ("U8", [8, 16], codes(128, 5)),
        "l.weight_scale": ("F8_E4M3", [8, 2], bytes(scales)),
        "l.weight_scale_2": ("F32", [], f32_bytes([0.5])),
    })
    with open(os.path.join(folder, "hf_quant_config.json"), "w") as f:
        f.write(MODELOPT_W4A16)


def case_block_scales(binary, tmp):
    # a negative e4m3 block scale (0xB8 = -1.0; ModelOpt's amax / 6 never is) was accepted
    x_values = [f32(((j * 5) % 13) / 6.0 - 1.0) for j in range(2 * 32)]
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [2, 32], f32_bytes(x_values))})
    y = os.path.join(tmp, "y.safetensors")
    good = os.path.join(tmp, "good")
    modelopt_module(good, 0x38)
    expect(binary, "run", "--checkpoint", good, "--layer", "l", "--input", x, "--output", y, code=0)
    check_linear_run(good, "modelopt", "W4A16_NVFP4", ["l"], x_values, 2, y, "ModelOpt NVFP4 with positive scales")
    expect(binary, "inspect", good, code=0, says="l  [8 x 32]  w_nvfp4 (modelopt)")
    negative = os.path.join(tmp, "negative")
    modelopt_module(negative, 0xB8)
    message = "l (nvfp4): scale byte 3 (0xB8) is a negative e4m3 block scale"
    expect(binary, "run", "--checkpoint", negative, "--layer", "l", "--input", x, "--output", y, code=1,
           says="microscale run: error: " + message)
    _, err = expect(binary, "inspect", negative, code=1, says="l  PROBLEM: " + message)
    expect_in(err, "1 malformed module(s)")


def case_indexes(binary, tmp):
    # an index entry that names a shard which does not hold the tensor was accepted
    first, second = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"

    def sharded(name, weight_map):
        folder = os.path.join(tmp, name)
        os.makedirs(folder)
        write_safetensors(os.path.join(folder, first), {"x.weight": ("F32", [4, 64], f32_bytes([1.0] * 256))})
        write_safetensors(os.path.join(folder, second), {"y.weight": ("F32", [4, 64], f32_bytes([2.0] * 256))})
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 2048}, "weight_map": weight_map}, f)
        return folder

    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [1, 64], f32_bytes([0.25] * 64))})
    y = os.path.join(tmp, "y.safetensors")
    good = sharded("good", {"x.weight": first, "y.weight": second})
    out, _ = expect(binary, "inspect", good, code=0, says="2 shard(s)")
    expect_in(out, "y  [4 x 64]  unquantized")
    expect(binary, "run", "--checkpoint", good, "--layer", "y", "--input", x, "--output", y, code=0)
    if decode_floats("F32", read_tensors(y)["y"][2]) != [32.0] * 4:  # 64 * 0.25 * 2: y.weight read from its shard
        sys.exit(f"y = {decode_floats('F32', read_tensors(y)['y'][2])}, expected [32.0] * 4")
    swapped = sharded("swapped", {"x.weight": second, "y.weight": first})
    index = os.path.join(swapped, "model.safetensors.index.json")
    for args in (["inspect", swapped], ["run", "--checkpoint", swapped, "--layer", "x", "--input", x, "--output", y]):
        _, err = expect(binary, *args, code=1, says=f"{index}: tensor 'y.weight' is mapped to {first}, which does not hold it (")
        expect_in(err, f"{second} does)")
    # a tensor that no shard holds
    missing = sharded("missing", {"x.weight": first, "y.weight": second, "z.weight": first})
    _, err = expect(binary, "inspect", missing, code=1, says=f"tensor 'z.weight' is mapped to {first}, which does not hold it")
    if "does)" in err:
        sys.exit(f"no shard holds z.weight, but the error names one: {err}")


def case_patterns(binary, tmp):
    # a 100 KB `re:` pattern was echoed whole in its error: now its first 120 characters and its length
    pattern = "(" * 100000
    configs = {"compressed-tensors": ct_config(["lm_head", "re:" + pattern]), "quark": quark_config(["re:" + pattern])}
    x, y = os.path.join(tmp, "x.safetensors"), os.path.join(tmp, "y.safetensors")
    write_safetensors(x, {"x": ("F32", [1, 32], f32_bytes([1.0] * 32))})
    for name, config in configs.items():
        folder = os.path.join(tmp, name)
        os.makedirs(folder)
        write_safetensors(os.path.join(folder, "model.safetensors"), {"l.weight": ("F32", [4, 32], f32_bytes([0.5] * 128))})
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)
        says = os.path.join(folder, "config.json") + ": invalid regular expression 're:" + pattern[:120] + "... (100000 characters)'"
        for args in (["inspect", folder], ["run", "--checkpoint", folder, "--layer", "l", "--input", x, "--output", y]):
            out, err = expect(binary, *args, code=1, says=says)
            if len(out) + len(err) > 2000:
                sys.exit(f"`microscale {args[0]}` on a {name} config with a 100 KB pattern wrote {len(out) + len(err)} characters")


def case_exports(binary, tmp):
    src = os.path.join(tmp, "m.safetensors")
    model(src, layers=3)
    out = os.path.join(tmp, "out")
    expect(binary, "quantize", "--scheme", "w_mxfp4", "--input", src, "--output", out, "--max-shard-size", "20000", code=0)
    if not os.path.exists(os.path.join(out, "model.safetensors.index.json")):
        sys.exit("the first export is not sharded")
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        f.write("{}")
    before = snapshot(out)
    # an existing checkpoint is refused without --overwrite, and left alone
    expect(binary, "quantize", "--scheme", "w_mxfp6_e2m3", "--input", src, "--output", out, code=1, says="already holds a checkpoint")
    if snapshot(out) != before:
        sys.exit("a refused export changed the folder")
    # a failed export (NaN in the last layer) leaves the old checkpoint whole
    bad = os.path.join(tmp, "bad.safetensors")
    model(bad, layers=3, nan_last=True, seed=9)
    expect(binary, "quantize", "--scheme", "w_mxfp6_e2m3", "--input", bad, "--output", out, "--overwrite",
           "--max-shard-size", "20000", code=1, says="NaN")
    if snapshot(out) != before:
        sys.exit("a failed export left a mix of new and old files")
    # with --overwrite the new single-file checkpoint replaces index and shards; the user's file stays
    expect(binary, "quantize", "--scheme", "w_mxfp6_e2m3", "--input", src, "--output", out, "--overwrite", code=0)
    if sorted(os.listdir(out)) != ["config.json", "model.safetensors", "tokenizer.json"]:
        sys.exit(f"after --overwrite the folder holds {sorted(os.listdir(out))}")
    inspected, _ = expect(binary, "inspect", out, "--no-prepare", code=0)
    expect_in(inspected, "w_mxfp6_e2m3")
    if "w_mxfp4 " in inspected:
        sys.exit(f"the old model is still loaded:\n{inspected}")
    if any(name.startswith(".") for name in os.listdir(tmp)):
        sys.exit(f"staging folders left behind: {os.listdir(tmp)}")
    # never over its own input, even with --overwrite
    own = os.path.join(tmp, "own")
    os.makedirs(own)
    model(os.path.join(own, "model.safetensors"), layers=1)
    kept = snapshot(own)
    expect(binary, "quantize", "--scheme", "w_nvfp4", "--input", os.path.join(own, "model.safetensors"), "--output", own,
           "--overwrite", code=1, says="which is its input")
    if snapshot(own) != kept:
        sys.exit("quantize replaced its own input")
    # --max-shard-size -1 is a usage error (it once became 2^64 - 1)
    expect(binary, "quantize", "--scheme", "w_nvfp4", "--input", src, "--output", os.path.join(tmp, "neg"),
           "--max-shard-size", "-1", code=2, says="--max-shard-size must be positive, got -1")


def case_excludes(binary, tmp):
    src = os.path.join(tmp, "m.safetensors")
    model(src, layers=2)
    out = os.path.join(tmp, "out")
    # one shard of a fused group: the group is excluded whole, so inspect can read the fused layer
    _, err = expect(binary, "quantize", "--scheme", "w_mxfp4", "--input", src, "--output", out,
                    "--exclude", "model.layers.1.mlp.gate_proj", "--exclude", "no.such.module", "--exclude", "model.layers.0", code=0,
                    says="model.layers.1.mlp.up_proj is left in floating point too")
    expect_in(err, "warning: exclude pattern 'no.such.module' matches no module")
    inspected, _ = expect(binary, "inspect", out, code=0)
    expect_in(inspected, "model.layers.1.mlp.gate_up_proj  [128 x 128]  unquantized")
    expect_in(inspected, "model.layers.0.mlp.down_proj  [128 x 64]  unquantized")  # the dotted prefix model.layers.0
    expect_in(inspected, "model.layers.1.mlp.down_proj  [128 x 64]  w_mxfp4")


def case_environment(binary, tmp):
    expect(binary, "check", "--scheme", "w_mxfp4", code=1, env={"MICROSCALE_SIMD_ISA": "bogus"},
           says="MICROSCALE_SIMD_ISA='bogus' is not an ISA tier")
    expect(binary, "list", code=1, env={"MICROSCALE_LINEAR_BACKEND": "bogus"}, says="MICROSCALE_LINEAR_BACKEND='bogus' is not a backend")
    out, _ = expect(binary, "list", code=0)
    expect_in(out, "moe.w_nvfp4_a_nvfp4.stored.simd")
    expect(binary, "check", "--kernel", "moe.w_nvfp4.stored.emulation", code=1, says="is an MoE kernel; check runs linear kernels")
    expect(binary, "bench", "--help", code=0, says="--min-time arg (=0.2)")


def case_messages(binary, tmp):
    x = os.path.join(tmp, "x.safetensors")
    write_safetensors(x, {"x": ("F32", [2, 32], f32_bytes([0.5] * 64))})
    # --input-scale means nothing to MX activations: said, not silently ignored
    expect(binary, "qdq", "--scheme", "w_mxfp4_a_mxfp4", "--input", x, "--output", os.path.join(tmp, "q.safetensors"),
           "--input-scale", "0.01", code=0, says="warning: --input-scale is ignored")
    # an output error names the user's path, not a temporary file
    target = os.path.join(tmp, "no-such-folder", "q.safetensors")
    _, err = expect(binary, "qdq", "--scheme", "NVFP4", "--input", x, "--output", target, code=1, says=target + ": cannot create")
    if ".tmp" in err:
        sys.exit(f"the error names the temporary file: {err}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    binary, case = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix=f"microscale-hardening-{case}-") as tmp:
        CASES[case](binary, tmp)
    print(f"hardening {case}: ok")
