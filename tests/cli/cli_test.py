#!/usr/bin/env python3
"""End-to-end checks of the `microscale` command-line tool (Python standard library only).

    cli_test.py MICROSCALE_BINARY CASE
"""
import json
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


def case_qdq(binary, tmp):
    x = [((i * 7919) % 113) / 13.0 - 4.0 for i in range(3 * 64)]
    src = os.path.join(tmp, "x.safetensors")
    write_safetensors(src, {"x": ("BF16", [3, 64], bf16_bytes(x))})
    for scheme, layout, scale_dtype, scale_shape in [
            ("NVFP4", "linear", "F8_E4M3", [3, 4]), ("NVFP4", "swizzled_128x4", "F8_E4M3", [128, 4]),
            ("w_mxfp4_a_mxfp4", "linear", "U8", [3, 2]), ("w_mxfp6_e2m3_a_mxfp6_e2m3", "swizzled_128x4", "U8", [128, 4])]:
        out = os.path.join(tmp, f"y-{scheme}-{layout}.safetensors")
        run(binary, "qdq", "--scheme", scheme, "--input", src, "--output", out, "--scale-layout", layout)
        h = read_header(out)
        assert h["x_dq"]["dtype"] == "BF16" and h["x_dq"]["shape"] == [3, 64], h
        assert h["x_codes"]["dtype"] == "U8" and h["x_codes"]["shape"] == [3, 64], h
        assert h["x_scale"]["dtype"] == scale_dtype and h["x_scale"]["shape"] == scale_shape, (scheme, layout, h)
    run(binary, "qdq", "--scheme", "NVFP4", "--input", src, "--output", os.path.join(tmp, "s.safetensors"),
        "--input-scale", "0.01")
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
    write_safetensors(x, {"x": ("BF16", [3, 64], bf16_bytes([((j * 7) % 13) / 6.0 - 1.0 for j in range(3 * 64)]))})
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
        text = run(binary, "inspect", out)
        expect_in(text, "excluded by" if fmt != "x" else "")
        y = os.path.join(tmp, f"y-{scheme}-{fmt}.safetensors")
        expect_in(run(binary, "run", "--checkpoint", out, "--layer", "model.layers.0.mlp.gate_up_proj", "--input", x, "--output", y),
                  "ran on")
        h = read_header(y)
        assert h["y"]["dtype"] == "BF16" and h["y"]["shape"] == [3, 192], h
        run(binary, "run", "--checkpoint", out, "--layer", "model.layers.0.mlp.up_proj", "--input", x, "--output", y,
            "--kernel", h["__metadata__"]["kernel"].replace(".simd", ".emulation").replace("dense_fp32", "x"))
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
    write_safetensors(x, {"x": ("F32", [3, K], f32_bytes([((j * 7) % 11) / 5.0 - 1.0 for j in range(3 * K)])),
                          "topk_ids": ("I32", [3, 2], struct.pack("<6i", 0, 3, -1, 2, 1, 1)),
                          "topk_weights": ("F32", [3, 2], f32_bytes([0.6, 0.4, 0.0, 1.0, 0.5, 0.5]))})
    y = os.path.join(tmp, "y.safetensors")
    expect_in(run(binary, "run", "--checkpoint", ckpt, "--layer", "layers.0.experts", "--input", x, "--output", y), "4 experts")
    h = read_header(y)
    assert h["y"]["dtype"] == "F32" and h["y"]["shape"] == [3, K], h
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
    expect_in(run(binary, "check", "--kernel", "w_nvfp4.swizzled_128x4.emulation", "--k", "64"),
              "kernel      w_nvfp4.swizzled_128x4.emulation")
    expect_in(run(binary, "check", "--scheme", "mxfp4", "--k", "48", expect=1), "K=48 is not a multiple")
    run(binary, "nonsense", expect=2)


if __name__ == "__main__":
    binary, case = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        globals()[f"case_{case}"](binary, tmp)
    print(f"cli {case}: ok")
