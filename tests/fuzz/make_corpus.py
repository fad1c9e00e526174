#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (standard library only; deterministic output).

    python3 tests/fuzz/make_corpus.py                # rewrites every corpus below
    python3 tests/fuzz/make_corpus.py moe_loader     # only the named ones

corpus/safetensors/    whole safetensors files: valid ones (every kind of dtype, empty tensors,
                       0-d scalars, __metadata__) and invalid ones (truncated, bad JSON, overlaps,
                       gaps, size mismatches, ...).
corpus/quant_config/   hf_quant_config.json / config.json texts: ModelOpt, compressed-tensors and
                       Quark configs, plus a few invalid ones.
corpus/moe_loader/     whole MoE checkpoint folders in fuzz_moe_loader's framing (an options byte,
                       the config text, a NUL, model.safetensors): ModelOpt NVFP4 stacked and
                       per-expert, compressed-tensors stacked and per-expert, Quark MXFP4 / MXFP6
                       stacked (with biases) and per-expert, plus malformed ones (transposed or
                       mistyped scales, mismatched experts, no config, excluded experts).

A folder is rewritten whole, except for files named repro_* (fuzzer findings kept as seeds).
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "U32": 4, "I32": 4, "U64": 8, "I64": 8,
              "F16": 2, "BF16": 2, "F32": 4, "F64": 8, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def pattern(n, seed):
    """n deterministic bytes."""
    return bytes((seed * 31 + i * 7 + (i >> 3)) & 0xFF for i in range(n))


def st_file(tensors, metadata=None, pad=True):
    """A valid safetensors image; tensors: [(name, dtype, shape, data or None)] in file order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for i, (name, dtype, shape, payload) in enumerate(tensors):
        if payload is None:
            payload = pattern(numel(shape) * DTYPE_SIZE[dtype], i + 1)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    return raw_file(json.dumps(header, separators=(",", ":")).encode(), data, pad)


def raw_file(header_bytes, data=b"", pad=True, length=None):
    if pad:
        header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    n = len(header_bytes) if length is None else length
    return struct.pack("<Q", n) + header_bytes + data


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def bf16(*values):
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def f16(*values):
    return struct.pack("<%de" % len(values), *values)


def safetensors_seeds():
    seeds = {}
    # --- valid ---
    seeds["valid_f32.safetensors"] = st_file([("weight", "F32", [2, 3], f32(1.0, -2.5, 0.0, 3.25, float("inf"), -0.0))])
    seeds["valid_bf16_f16.safetensors"] = st_file([
        ("a.bf16", "BF16", [4], bf16(1.0, -2.0, 0.5, float("nan"))),
        ("b.f16", "F16", [2, 2], f16(1.0, -65504.0, 6.1e-5, 0.0)),
    ])
    seeds["valid_nvfp4_layer.safetensors"] = st_file([  # a ModelOpt NVFP4 linear layer, 4x32
        ("model.layers.0.mlp.down_proj.weight", "U8", [4, 16], None),
        ("model.layers.0.mlp.down_proj.weight_scale", "F8_E4M3", [4, 2], bytes([0x38, 0x40, 0x30, 0x7E, 0x01, 0x00, 0x7F, 0x48])),
        ("model.layers.0.mlp.down_proj.weight_scale_2", "F32", [], f32(0.001)),
        ("model.layers.0.mlp.down_proj.input_scale", "F32", [1], f32(0.5)),
    ], metadata={"format": "pt"})
    seeds["valid_mx_layer.safetensors"] = st_file([  # an OCP MX (Quark) layer: e8m0 scales
        ("model.layers.0.self_attn.q_proj.weight", "U8", [2, 32], None),
        ("model.layers.0.self_attn.q_proj.weight_scale", "F8_E8M0", [2, 2], bytes([127, 126, 255, 0])),
    ])
    seeds["valid_all_dtypes.safetensors"] = st_file(
        [("t_" + d.lower(), d, [3], None) for d in DTYPE_SIZE] + [("t_e5m2", "F8_E5M2", [2], bytes([0x3C, 0x7F]))])
    seeds["valid_empty_tensors.safetensors"] = st_file([
        ("empty", "F32", [0], b""),
        ("empty2d", "BF16", [0, 5], b""),
        ("scalar", "F32", [], f32(2.0)),
    ])
    seeds["valid_empty_header.safetensors"] = raw_file(b"{}")
    seeds["valid_metadata_unpadded.safetensors"] = st_file(  # header length not a multiple of 8
        [("d", "F64", [2], struct.pack("<2d", 1.5, -1e300))], metadata={"format": "pt", "producer": "microscale", "": ""}, pad=False)
    # --- invalid ---
    good = seeds["valid_f32.safetensors"]
    seeds["bad_metadata.safetensors"] = raw_file(json.dumps({"__metadata__": {"format": "pt", "k": [1]}}).encode())
    seeds["bad_truncated_header.safetensors"] = good[:20]
    seeds["bad_truncated_data.safetensors"] = good[:-3]
    seeds["bad_trailing_bytes.safetensors"] = good + b"\x00\x00\x00\x00"
    seeds["bad_huge_length.safetensors"] = struct.pack("<Q", 0xFFFFFFFFFFFFFFF0) + b"{}"
    seeds["bad_json.safetensors"] = raw_file(b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', f32(1.0))
    seeds["bad_not_object.safetensors"] = raw_file(b"[1, 2, 3]")
    seeds["bad_overlap.safetensors"] = raw_file(json.dumps({
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode(), pattern(12, 3))
    seeds["bad_gap.safetensors"] = raw_file(json.dumps({
        "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
        "b": {"dtype": "U8", "shape": [4], "data_offsets": [8, 12]}}).encode(), pattern(12, 4))
    seeds["bad_size_mismatch.safetensors"] = raw_file(json.dumps({
        "a": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 4]}}).encode(), pattern(4, 5))
    seeds["bad_fields.safetensors"] = raw_file(json.dumps({
        "__metadata__": {"k": "v"},
        "a": {"dtype": "F4", "shape": [-1, 1.5, "x"], "data_offsets": [4, 0, 1]}}).encode(), pattern(4, 6))
    seeds["bad_huge_shape.safetensors"] = raw_file(json.dumps({
        "a": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]},
        "b": {"dtype": "U8", "shape": [0, 18446744073709551615], "data_offsets": [0, 0]}}).encode())
    return seeds


def quant_config_seeds():
    nvfp4_args = {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16, "symmetric": True,
                  "dynamic": False, "observer": "minmax", "block_structure": None, "actorder": None}
    act_args = dict(nvfp4_args, dynamic="local")

    def mx(dtype, scale_mode="even"):
        return {"dtype": dtype, "qscheme": "per_group", "ch_axis": -1, "group_size": 32, "is_dynamic": False,
                "scale_format": "e8m0", "scale_calculation_mode": scale_mode, "round_method": "half_even",
                "observer_cls": "PerBlockMXObserver", "symmetric": None, "mx_element_dtype": None}

    seeds = {}
    seeds["modelopt_nvfp4.json"] = {
        "producer": {"name": "modelopt", "version": "0.29.0"},
        "quantization": {"quant_algo": "NVFP4", "kv_cache_quant_algo": "FP8", "group_size": 16,
                         "exclude_modules": ["lm_head", "model.layers.0.mlp.gate*", "model.visual*", "*.mlp.gate"]}}
    seeds["modelopt_w4a16.json"] = {
        "producer": {"name": "modelopt", "version": "0.31.0"},
        "quantization": {"quant_algo": "W4A16_NVFP4", "kv_cache_quant_algo": None, "group_size": None,
                         "exclude_modules": ["lm_head", "re:model\\.layers\\.[0-3]\\..*"]}}
    seeds["modelopt_mixed.json"] = {
        "producer": {"name": "modelopt", "version": "0.33.0"},
        "quantization": {"quant_algo": "MIXED_PRECISION", "kv_cache_quant_algo": None, "exclude_modules": ["lm_head"],
                         "quantized_layers": {
                             "model.layers.0.self_attn.q_proj": {"quant_algo": "NVFP4", "group_size": 16},
                             "model.layers.0.self_attn.k_proj": {"quant_algo": "NVFP4", "group_size": 16},
                             "model.layers.0.self_attn.v_proj": {"quant_algo": "NVFP4", "group_size": 16},
                             "model.layers.3.mlp": {"quant_algo": "W4A16_NVFP4"},
                             "model.layers.3.mlp.gate_proj": {"quant_algo": "NVFP4"}}}}
    seeds["config_modelopt.json"] = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
        "quantization_config": {"quant_method": "modelopt", "quant_algo": "NVFP4", "group_size": 16,
                                "kv_cache_scheme": {"num_bits": 8, "type": "float"},
                                "ignore": ["lm_head", "model.layers.1.mlp.gate_proj", "model.layers.2*"]}}
    seeds["config_ct_w4a4.json"] = {
        "architectures": ["LlamaForCausalLM"],
        "quantization_config": {
            "quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized", "quantization_status": "compressed",
            "config_groups": {"group_0": {"targets": ["Linear"], "weights": nvfp4_args, "input_activations": act_args,
                                          "output_activations": None, "format": "nvfp4-pack-quantized"}},
            "ignore": ["lm_head", "re:.*mlp.gate$", "re:model\\.layers\\.0\\.self_attn\\.[qkv]_proj"],
            "kv_cache_scheme": None, "global_compression_ratio": None, "sparsity_config": {}}}
    seeds["config_ct_w4a16.json"] = {
        "quantization_config": {
            "quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
            "config_groups": {
                "group_0": {"targets": ["re:.*self_attn\\.(q|k|v|o)_proj$"], "weights": nvfp4_args, "input_activations": None},
                "group_1": {"targets": ["model.layers.*.mlp.*_proj", "lm_head"], "weights": nvfp4_args}},
            "ignore": ["re:.*mlp.gate$", "model.layers.3.mlp.up_proj"]}}
    seeds["config_quark_mxfp4.json"] = {
        "architectures": ["MixtralForCausalLM"],
        "quantization_config": {
            "quant_method": "quark", "quant_mode": "eager_mode", "export": {"kv_cache_group": [], "pack_method": "reorder"},
            "global_quant_config": {"weight": mx("fp4"), "input_tensors": mx("fp4"), "output_tensors": None, "bias": None},
            "layer_quant_config": {"*.down_proj": {"weight": mx("fp6_e3m2"), "input_tensors": None},
                                   "re:model\\.layers\\.3\\..*": {"weight": mx("fp6_e2m3"), "input_tensors": mx("fp6_e2m3")}},
            "kv_cache_quant_config": {},
            "exclude": ["lm_head", "re:model.layers.1.*", "*.router"]}}
    seeds["config_quark_mxfp6.json"] = {
        "quantization_config": {
            "quant_method": "Quark",
            "global_quant_config": {"weight": mx("fp6_e2m3", "floor"), "input_tensors": None},
            "layer_quant_config": {}, "kv_cache_quant_config": None, "exclude": []}}
    seeds["qc_quark_e3m2.json"] = {  # the quantization_config object on its own
        "quant_method": "quark",
        "global_quant_config": {"weight": mx("fp6_e3m2"), "input_tensors": mx("fp6_e3m2")},
        "exclude": ["re:(lm_head|model\\.embed_tokens)"]}
    # --- invalid ---
    invalid = {
        "bad_modelopt_algo.json": {"quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8"}},
        "bad_ct_args.json": {"quantization_config": {
            "quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
            "config_groups": {"g": {"targets": "Linear", "weights": {"num_bits": 8, "type": "int"}}}}},
        "bad_quark_mixed.json": {"quantization_config": {
            "quant_method": "quark", "global_quant_config": {"weight": mx("fp4"), "input_tensors": mx("fp6_e2m3")},
            "exclude": ["re:(unclosed", "re:[z-a]"]}},
    }
    texts = {name: json.dumps(value, indent=2) + "\n" for name, value in {**seeds, **invalid}.items()}
    texts["bad_regex_exclude.json"] = ('{"quantization_config": {"quant_method": "quark", "exclude": ["re:(unclosed", "re:a{2,1}"],\n'
                                       ' "global_quant_config": {"weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32,'
                                       ' "scale_format": "e8m0"}}}}\n')
    texts["bad_json.json"] = '{"quantization": {"quant_algo": "NVFP4", "exclude_modules": ["lm_head",]}\n'
    texts["bad_not_object.json"] = '["quant_method", "modelopt"]\n'
    return {name: text.encode() for name, text in texts.items()}




# --- fuzz_moe_loader: whole checkpoint folders ---------------------------------------------------
# Framing (tests/fuzz/fuzz_moe_loader.cpp): byte 0 options (bits 0-1: 0 hf_quant_config.json,
# 1 config.json, 2/3 no config; bit 2: small non-zero x; bit 3: top_k = 1, router weight on the
# input), then the config text, a NUL, then model.safetensors.
HF, CONFIG, NO_CONFIG, SMALL_X, ON_INPUT = 0, 1, 2, 4, 8
E, K, I = 2, 32, 32  # experts, hidden, intermediate: the smallest sizes every format's block divides


def moe_input(options, config, tensors):
    text = config if isinstance(config, str) else json.dumps(config, separators=(",", ":"))
    return bytes([options]) + text.encode() + b"\0" + st_file(tensors)


def codes(n, seed):
    """n packed element codes (any byte is valid fp4 / fp6 data)."""
    return pattern(n, seed)


def e4m3_scales(n, seed):
    """n e4m3 block scales around 1 (0x30..0x3F: 0.5 .. 1.875; never the NaN code 0x7F)."""
    return bytes(0x30 + ((seed + i * 5) & 0x0F) for i in range(n))


def e8m0_scales(n, seed):
    """n e8m0 block scales 2^-4 .. 2^3 (codes 123..130; never the NaN code 255)."""
    return bytes(123 + ((seed + i * 3) & 0x07) for i in range(n))


def packed(fmt, k):
    return k // 2 if fmt in ("nvfp4", "mxfp4") else k // 4 * 3


def block(fmt):
    return 16 if fmt == "nvfp4" else 32


def scales(fmt, n, seed):
    return e4m3_scales(n, seed) if fmt == "nvfp4" else e8m0_scales(n, seed)


def stacked(p, fmt, names, scale_dtype, w13_scale_shape=None, extra=()):
    """Stacked experts <p>.w13_weight[_packed] [E, 2I, K packed] ... in the given tensor names."""
    w13, w2 = names
    b = block(fmt)
    s13 = w13_scale_shape or [E, 2 * I, K // b]
    return [
        (p + "." + w13, "U8", [E, 2 * I, packed(fmt, K)], codes(E * 2 * I * packed(fmt, K), 1)),
        (p + ".w13_weight_scale", scale_dtype, s13, scales(fmt, numel(s13), 2)),
        (p + "." + w2, "U8", [E, K, packed(fmt, I)], codes(E * K * packed(fmt, I), 3)),
        (p + ".w2_weight_scale", scale_dtype, [E, K, I // b], scales(fmt, E * K * (I // b), 4)),
    ] + list(extra)


def per_expert(p, fmt, scale_dtype, extra, experts=range(E), weight="weight"):
    """ModelOpt's layout: <p>.<e>.gate_proj / up_proj / down_proj, each a linear module."""
    tensors = []
    b = block(fmt)
    for e in experts:
        for j, (part, n, k) in enumerate((("gate_proj", I, K), ("up_proj", I, K), ("down_proj", K, I))):
            m = "%s.%d.%s" % (p, e, part)
            seed = 10 * e + j
            tensors.append((m + "." + weight, "U8", [n, packed(fmt, k)], codes(n * packed(fmt, k), seed)))
            tensors.append((m + ".weight_scale", scale_dtype, [n, k // b], scales(fmt, n * (k // b), seed)))
            tensors += extra(m, e, j)
    return tensors


def modelopt_config(algo, exclude=()):
    return {"producer": {"name": "modelopt", "version": "0.29.0"},
            "quantization": {"quant_algo": algo, "kv_cache_quant_algo": None, "group_size": 16, "exclude_modules": list(exclude)}}


def ct_config(w4a4):
    args = {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16, "symmetric": True, "dynamic": False}
    group = {"targets": ["Linear"], "weights": args, "input_activations": dict(args, dynamic="local") if w4a4 else None}
    return {"architectures": ["Qwen3MoeForCausalLM"],
            "quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
                                    "config_groups": {"group_0": group}, "ignore": ["lm_head", "re:.*mlp.gate$"]}}


def quark_config(dtype, activations):
    mx = {"dtype": dtype, "qscheme": "per_group", "ch_axis": -1, "group_size": 32, "is_dynamic": False,
          "scale_format": "e8m0", "scale_calculation_mode": "even", "round_method": "half_even"}
    return {"architectures": ["MixtralForCausalLM"],
            "quantization_config": {"quant_method": "quark",
                                    "global_quant_config": {"weight": mx, "input_tensors": dict(mx, is_dynamic=True) if activations else None},
                                    "layer_quant_config": {}, "exclude": ["lm_head"]}}


def moe_loader_seeds():
    p = "model.layers.0.mlp.experts"
    seeds = {}
    # --- ModelOpt NVFP4, stacked: weight_scale_2 per (expert, gate/up) and per expert; W4A4 input scales
    seeds["modelopt_stacked_w4a4.bin"] = moe_input(HF, modelopt_config("NVFP4"), stacked(p, "nvfp4", ("w13_weight", "w2_weight"), "F8_E4M3", extra=[
        (p + ".w13_weight_scale_2", "F32", [E, 2], f32(0.002, 0.004, 0.003, 0.003)),
        (p + ".w2_weight_scale_2", "F32", [E], f32(0.001, 0.0015)),
        (p + ".w13_input_scale", "F32", [E], f32(0.0010, 0.0012)),
        (p + ".w2_input_scale", "F32", [E, 1], f32(0.0020, 0.0020)),
    ]))
    seeds["modelopt_stacked_w4a16.bin"] = moe_input(HF | SMALL_X, modelopt_config("W4A16_NVFP4"), stacked(p, "nvfp4", ("w13_weight", "w2_weight"), "U8", extra=[
        (p + ".w13_weight_scale_2", "F32", [E, 1], f32(0.002, 0.004)),
        (p + ".w2_weight_scale_2", "F32", [E], f32(0.001, 0.0015)),
    ]))
    # --- compressed-tensors NVFP4, stacked (*_packed, the reciprocal global scales)
    ct = "model.layers.1.mlp.experts"
    seeds["ct_stacked_w4a4.bin"] = moe_input(CONFIG | SMALL_X, ct_config(True), stacked(ct, "nvfp4", ("w13_weight_packed", "w2_weight_packed"), "F8_E4M3", extra=[
        (ct + ".w13_weight_global_scale", "F32", [E, 2], f32(500.0, 250.0, 300.0, 300.0)),
        (ct + ".w2_weight_global_scale", "F32", [E], f32(1000.0, 700.0)),
        (ct + ".w13_input_global_scale", "F32", [E, 2], f32(900.0, 800.0, 1000.0, 1000.0)),
        (ct + ".w2_input_global_scale", "F32", [E, 1], f32(500.0, 500.0)),
    ]))
    seeds["ct_stacked_w4a16.bin"] = moe_input(CONFIG, ct_config(False), stacked(ct, "nvfp4", ("w13_weight_packed", "w2_weight_packed"), "F8_E4M3", extra=[
        (ct + ".w13_weight_global_scale", "F32", [E], f32(500.0, 250.0)),
        (ct + ".w2_weight_global_scale", "BF16", [E], bf16(1024.0, 512.0)),
    ]))
    # --- Quark OCP MX, stacked: MXFP4 W4A4 with biases, MXFP6 weight-only and W6A6
    q = "model.layers.2.block_sparse_moe.experts"
    seeds["quark_mxfp4_stacked_bias.bin"] = moe_input(CONFIG | SMALL_X, quark_config("fp4", True), stacked(q, "mxfp4", ("w13_weight", "w2_weight"), "F8_E8M0", extra=[
        (q + ".w13_bias", "F32", [E, 2 * I], f32(*[0.01 * (i % 7 - 3) for i in range(E * 2 * I)])),
        (q + ".w2_bias", "BF16", [E, K], bf16(*[0.125 * (i % 5 - 2) for i in range(E * K)])),
    ]))
    seeds["quark_mxfp6_e2m3_stacked.bin"] = moe_input(CONFIG | SMALL_X, quark_config("fp6_e2m3", False),
                                                      stacked(q, "mxfp6_e2m3", ("w13_weight", "w2_weight"), "U8"))
    seeds["quark_mxfp6_e3m2_stacked_w6a6.bin"] = moe_input(CONFIG | SMALL_X | ON_INPUT, quark_config("fp6_e3m2", True),
                                                           stacked(q, "mxfp6_e3m2", ("w13_weight", "w2_weight"), "F8_E8M0"))
    # --- per-expert: ModelOpt NVFP4 (gate and up with different global scales: re-rounded), Quark MXFP4, compressed-tensors
    def modelopt_scalars(m, e, j):
        return [(m + ".weight_scale_2", "F32", [], f32(0.001 * (1 + j + e))), (m + ".input_scale", "F32", [1], f32(0.0005 * (2 + e)))]

    def ct_scalars(m, e, j):
        return [(m + ".weight_global_scale", "F32", [1], f32(400.0 + 100.0 * j)), (m + ".input_global_scale", "F32", [], f32(900.0))]

    seeds["modelopt_per_expert_w4a4.bin"] = moe_input(HF | SMALL_X, modelopt_config("NVFP4"), per_expert(p, "nvfp4", "F8_E4M3", modelopt_scalars))
    seeds["quark_per_expert_mxfp4.bin"] = moe_input(CONFIG, quark_config("fp4", False), per_expert(q, "mxfp4", "U8", lambda m, e, j: []))
    seeds["ct_per_expert_w4a4.bin"] = moe_input(CONFIG | SMALL_X, ct_config(True),
                                                per_expert(ct, "nvfp4", "F8_E4M3", ct_scalars, weight="weight_packed"))
    # --- malformed: each must be a clean error
    seeds["bad_transposed_scales.bin"] = moe_input(CONFIG, quark_config("fp4", False),  # w13 scales [E, K/32, 2I]
                                                   stacked(q, "mxfp4", ("w13_weight", "w2_weight"), "U8", w13_scale_shape=[E, K // 32, 2 * I]))
    seeds["bad_scale_dtype.bin"] = moe_input(HF, modelopt_config("W4A16_NVFP4"), stacked(p, "nvfp4", ("w13_weight", "w2_weight"), "F8_E5M2", extra=[
        (p + ".w13_weight_scale_2", "F32", [E], f32(0.002, 0.004)),
        (p + ".w2_weight_scale_2", "F32", [E], f32(0.001, 0.0015)),
    ]))
    bad_w2 = stacked(q, "mxfp4", ("w13_weight", "w2_weight"), "U8")
    bad_w2[2] = (q + ".w2_weight", "U8", [E, K + 1, I // 2], codes(E * (K + 1) * (I // 2), 3))
    seeds["bad_w2_shape.bin"] = moe_input(CONFIG, quark_config("fp4", False), bad_w2)
    seeds["bad_no_config.bin"] = moe_input(NO_CONFIG, "", stacked(q, "mxfp4", ("w13_weight", "w2_weight"), "U8"))
    seeds["bad_excluded_experts.bin"] = moe_input(HF, modelopt_config("NVFP4", exclude=["lm_head", "*.mlp.experts*"]),
                                                  per_expert(p, "nvfp4", "F8_E4M3", modelopt_scalars))
    seeds["bad_w4a4_no_input_scales.bin"] = moe_input(HF, modelopt_config("NVFP4"), stacked(p, "nvfp4", ("w13_weight", "w2_weight"), "F8_E4M3", extra=[
        (p + ".w13_weight_scale_2", "F32", [E, 2], f32(0.002, 0.004, 0.003, 0.003)),
        (p + ".w2_weight_scale_2", "F32", [E], f32(0.001, 0.0015)),
    ]))
    return seeds


def write(folder, files):
    path = os.path.join(HERE, "corpus", folder)
    os.makedirs(path, exist_ok=True)
    kept = 0
    for name in os.listdir(path):
        if name.startswith("repro_"):
            kept += 1
        else:
            os.remove(os.path.join(path, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    print("%s: %d files%s" % (os.path.relpath(path), len(files), " (and %d repro_* kept)" % kept if kept else ""))


CORPORA = {"safetensors": safetensors_seeds, "quant_config": quant_config_seeds, "moe_loader": moe_loader_seeds}

if __name__ == "__main__":
    names = sys.argv[1:] or list(CORPORA)
    unknown = [n for n in names if n not in CORPORA]
    if unknown:
        sys.exit("unknown corpus %s; known: %s" % (", ".join(unknown), " ".join(CORPORA)))
    for name in names:
        write(name, CORPORA[name]())
