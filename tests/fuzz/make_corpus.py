#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (standard library only; deterministic output).

    python3 tests/fuzz/make_corpus.py          # rewrites tests/fuzz/corpus/{safetensors,quant_config}/

corpus/safetensors/    whole safetensors files: valid ones (every kind of dtype, empty tensors,
                       0-d scalars, __metadata__) and invalid ones (truncated, bad JSON, overlaps,
                       gaps, size mismatches, ...).
corpus/quant_config/   hf_quant_config.json / config.json texts: ModelOpt, compressed-tensors and
                       Quark configs, plus a few invalid ones.
"""
import json
import os
import shutil
import struct

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


def write(folder, files):
    path = os.path.join(HERE, "corpus", folder)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, data in sorted(files.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    print("%s: %d files" % (os.path.relpath(path), len(files)))


if __name__ == "__main__":
    write("safetensors", safetensors_seeds())
    write("quant_config", quant_config_seeds())
