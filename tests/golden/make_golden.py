#!/usr/bin/env python3
"""Generate golden NVFP4 / MX test vectors with the reference Python libraries.

The vectors are computed by calling the real libraries (NVIDIA ModelOpt,
vLLM's NVFP4 emulation utilities, torchao MX formats and, optionally, AMD
Quark).  Nothing here re-implements their numerics: this script only builds
deterministic inputs, calls the library functions, converts their outputs into
plain tensors (e.g. one code per byte) and writes them as safetensors.

vLLM is far too heavy to install on a CPU box, so its emulation module is
loaded straight from the published wheel at run time (the wheel is fetched with
``pip download vllm==<version> --no-deps`` unless --vllm-wheel is given): only
``vllm/scalar_type.py`` and
``vllm/model_executor/layers/quantization/utils/nvfp4_emulation_utils.py`` are
imported, with the few vLLM-internal imports of the latter replaced by small
stubs (the platform stub reports "not CUDA", which selects the pure PyTorch
reference path that vLLM itself takes on a CPU).

See README.md next to this file for the file layout and how to regenerate.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import types
import zipfile
import zlib

import torch
from safetensors import safe_open
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "data")
DEFAULT_VLLM_VERSION = "0.33.0"
VLLM_EMU_PATH = "vllm/model_executor/layers/quantization/utils/nvfp4_emulation_utils.py"
VLLM_SCALAR_TYPE_PATH = "vllm/scalar_type.py"
FORMAT_TAG = "microscale-golden-v1"

# NVFP4 constants used only to build inputs and the activation input_scale
# (vLLM's ModelOpt path: input_scale = amax / (6 * 448)).
E2M1_MAX = 6.0
E4M3_MAX = 448.0


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def base_metadata(extra: dict) -> dict:
    md = {
        "format": FORMAT_TAG,
        "generator": "tests/golden/make_golden.py",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "safetensors": dist_version("safetensors"),
        "numpy": dist_version("numpy"),
    }
    md.update({k: str(v) for k, v in extra.items()})
    return md


def gen_for(case: str) -> torch.Generator:
    """Independent, reproducible generator per case."""
    g = torch.Generator()
    g.manual_seed(zlib.crc32(case.encode()) & 0x7FFFFFFF)
    return g


def randn_outliers(shape, g, std=1.0, frac=0.01, mult=20.0) -> torch.Tensor:
    """fp32 normal data with ~frac of the elements multiplied by mult."""
    x = torch.randn(shape, generator=g, dtype=torch.float32) * std
    mask = torch.rand(shape, generator=g) < frac
    return torch.where(mask, x * mult, x)


def contiguous(tensors: dict) -> dict:
    return {k: v.detach().contiguous().cpu() for k, v in tensors.items()}


def write(path: str, tensors: dict, metadata: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file(contiguous(tensors), path, metadata=metadata)
    canonicalize_header(path)


def canonicalize_header(path: str) -> None:
    """Rewrite the safetensors JSON header in a fixed key order.

    safetensors writes ``__metadata__`` in hash-map order, which changes from
    run to run; sorting it (and listing tensors by data offset) makes
    regenerated files byte-identical.  The tensor data is not touched."""
    with open(path, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    md = header.pop("__metadata__", None)
    ordered = {}
    if md is not None:
        ordered["__metadata__"] = {k: md[k] for k in sorted(md)}
    for name in sorted(header, key=lambda k: (header[k]["data_offsets"][0], k)):
        ordered[name] = header[name]
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=True).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + blob[8 + n:])


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    ia = a.contiguous().view(torch.uint8)
    ib = b.contiguous().view(torch.uint8)
    return bool(torch.equal(ia, ib))


def same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal as numbers (+0 == -0), NaN == NaN."""
    a = a.float()
    b = b.float()
    both_nan = torch.isnan(a) & torch.isnan(b)
    return bool(((a == b) | both_nan).all())


# --------------------------------------------------------------------------
# (a) ModelOpt NVFP4 weight quantization
# --------------------------------------------------------------------------
def modelopt_inputs() -> dict:
    cases = {}

    g = gen_for("modelopt.bf16_normal")
    cases["bf16_normal"] = (randn_outliers((64, 128), g, std=0.02)).to(torch.bfloat16)

    g = gen_for("modelopt.fp32_normal")
    cases["fp32_normal"] = randn_outliers((48, 96), g, std=0.02)

    # Zero blocks, -0.0 blocks and blocks far below the tensor amax.
    g = gen_for("modelopt.bf16_zero_and_tiny_blocks")
    w = randn_outliers((32, 64), g, std=0.02)
    amax = 0.5
    w[0, 0] = amax                      # pins the tensor amax (and weight_scale_2)
    w[1, 16:32] = 0.0                   # all-zero block
    w[2, 0:16] = 0.0
    w[3, 48:64] = -0.0                  # all -0.0 block
    w[4, 32:48] = 0.0
    w[4, 40] = -0.0                     # mixed +/-0 block
    # block amax relative to the tensor amax; ModelOpt's block scale is
    # 448 * rel before the e4m3 cast (min e4m3 subnormal is 2**-9 ~ 1.95e-3)
    rel_levels = [1e-30, 1e-20, 1e-6, 3e-6, 5e-6, 1e-5, 2e-5, 3e-5, 1e-4]
    for i, rel in enumerate(rel_levels):
        r, b = 5 + 2 * i, i % 4
        blk = torch.randn(16, generator=g)
        blk = blk / blk.abs().max() * (amax * rel)
        w[r, 16 * b:16 * (b + 1)] = blk
    cases["bf16_zero_and_tiny_blocks"] = w.to(torch.bfloat16)

    cases["fp32_ties"] = modelopt_ties_input()
    return cases


def modelopt_ties_input() -> torch.Tensor:
    """fp32 [16, 64]: every scaled element lands exactly on an e2m1 value,
    an e2m1 rounding midpoint, or (rows 12..15) one fp32 ulp beside one.

    The tensor amax is 2688 * 2**-12, so weight_scale_2 = amax / 2688 = 2**-12
    exactly.  Each 16-block holds +/-6*s*2**-12 (so its block scale is exactly the
    e4m3 value s) plus t*s*2**-12 for midpoints t; t has <= 3 significant bits and
    s <= 4, so all products are exact in fp32 and ModelOpt's
    w / (s * weight_scale_2) gives exactly t.
    """
    g = gen_for("modelopt.fp32_ties")
    sf2 = 2.0 ** -12
    mids = [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0]
    signed_mids = mids + [-m for m in mids]                     # 14 values
    scales_any = [448.0, 1.0, 2.0, 0.5, 3.0, 5.0, 0.375, 2.0 ** -6,
                  2.0 ** -9, 3 * 2.0 ** -9, 7.0, 240.0, 416.0, 6.0, 0.875, 20.0]
    scales_pow2 = [1.0, 2.0, 0.5, 2.0 ** -6, 2.0 ** -9, 64.0, 256.0, 2.0 ** -3]
    rows = []
    k = 0
    for r in range(16):
        row = []
        for b in range(4):
            if r < 12:
                s = scales_any[k % len(scales_any)]
                vals = list(signed_mids) + [-0.0]                  # 15 values
            else:
                s = scales_pow2[k % len(scales_pow2)]
                picks = torch.randint(0, len(signed_mids), (15,), generator=g).tolist()
                vals = []
                for j, p in enumerate(picks):
                    t = torch.tensor(signed_mids[p], dtype=torch.float32)
                    toward = torch.tensor(float("inf") if j % 2 == 0 else float("-inf"))
                    vals.append(float(torch.nextafter(t, toward)))
            k += 1
            top = 6.0 if torch.rand(1, generator=g).item() < 0.5 else -6.0
            blk = torch.tensor([top] + vals, dtype=torch.float32)
            blk = blk[torch.randperm(16, generator=g)]
            row.append(blk * (s * sf2))
        rows.append(torch.cat(row))
    w = torch.stack(rows)
    # the block with s = 448 holds the tensor amax
    assert float(w.abs().max()) == 2688 * sf2
    return w


def make_modelopt(out_dir: str) -> str:
    import modelopt
    from modelopt.torch.quantization.qtensor.nvfp4_tensor import NVFP4QTensor

    block = 16
    tensors = {}
    info = {}
    for case, w in modelopt_inputs().items():
        # Same calls as ModelOpt's HF export for a dynamically quantized NVFP4 weight.
        sf2 = NVFP4QTensor.get_weights_scaling_factor_2(w.clone())
        ws, _ = NVFP4QTensor.get_weights_scaling_factor(w.clone(), block, sf2)
        qt, ws_out, sf2_out = NVFP4QTensor.quantize(w.clone(), block, ws, sf2)
        packed = qt._quantized_data
        assert packed.dtype == torch.uint8 and packed.shape == (w.shape[0], w.shape[1] // 2)
        assert ws_out.dtype == torch.float8_e4m3fn and ws_out.shape == (w.shape[0], w.shape[1] // block)
        assert sf2_out.dtype == torch.float32 and sf2_out.dim() == 0
        # sanity: ModelOpt's own dequantize round-trips to something close to w
        dq = qt.dequantize(torch.float32, scale=ws_out, double_scale=sf2_out,
                           block_sizes={-1: block})
        err = (dq - w.float()).abs().max().item()
        tensors[f"{case}.w"] = w
        tensors[f"{case}.weight"] = packed
        tensors[f"{case}.weight_scale"] = ws_out
        tensors[f"{case}.weight_scale_2"] = sf2_out.reshape(())
        info[case] = {"shape": list(w.shape), "dtype": str(w.dtype).replace("torch.", ""),
                      "weight_scale_2": float(sf2_out), "max_abs_dequant_err": err}
    md = base_metadata({
        "library": "nvidia-modelopt",
        "nvidia-modelopt": modelopt.__version__,
        "functions": "NVFP4QTensor.get_weights_scaling_factor_2, "
                     "NVFP4QTensor.get_weights_scaling_factor(block_size=16), "
                     "NVFP4QTensor.quantize(block_size=16, weights_scaling_factor, "
                     "weights_scaling_factor_2)",
        "module": "modelopt.torch.quantization.qtensor.nvfp4_tensor",
        "cases": json.dumps(info),
    })
    path = os.path.join(out_dir, "nvfp4_weight_modelopt.safetensors")
    write(path, tensors, md)
    return path


# --------------------------------------------------------------------------
# (b) vLLM NVFP4 reference activation quantize / dequantize
# --------------------------------------------------------------------------
def fetch_vllm_wheel(version: str, cache_dir: str) -> str:
    found = sorted(glob.glob(os.path.join(cache_dir, f"vllm-{version}-*.whl")))
    if found:
        return found[0]
    os.makedirs(cache_dir, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", f"vllm=={version}",
                    "--no-deps", "--only-binary=:all:", "-d", cache_dir], check=True)
    found = sorted(glob.glob(os.path.join(cache_dir, f"vllm-{version}-*.whl")))
    if not found:
        raise RuntimeError(f"pip download did not produce a vllm {version} wheel in {cache_dir}")
    return found[0]


def load_vllm_emulation(wheel: str):
    """Import vLLM's nvfp4_emulation_utils.py from the wheel with stubbed deps.

    Returns (module, info dict)."""
    extract_dir = tempfile.mkdtemp(prefix="golden-vllm-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        version = next(line.split(":", 1)[1].strip()
                       for line in zf.read(meta_name).decode().splitlines()
                       if line.startswith("Version:"))
        for member in (VLLM_SCALAR_TYPE_PATH, VLLM_EMU_PATH):
            zf.extract(member, extract_dir)
    emu_file = os.path.join(extract_dir, VLLM_EMU_PATH)
    with open(emu_file, "rb") as f:
        emu_sha = hashlib.sha256(f.read()).hexdigest()

    saved = {k: sys.modules.get(k) for k in
             ("vllm", "vllm.platforms", "vllm.scalar_type", "vllm.triton_utils",
              "vllm.utils", "vllm.utils.torch_utils")}

    def stub(name, **attrs):
        m = types.ModuleType(name)
        m.__path__ = []  # behave as a package
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    try:
        stub("vllm")
        # CPU platform: not CUDA-alike -> ref_nvfp4_quant_dequant takes the
        # pure PyTorch path (ref_nvfp4_quant + dequant), as vLLM does on CPU.
        stub("vllm.platforms", current_platform=types.SimpleNamespace(is_cuda_alike=lambda: False))
        try:
            import triton
            import triton.language as tl
            triton_note = f"real triton {triton.__version__} (kernels defined, never launched)"
        except Exception:  # pragma: no cover - fallback when triton is absent
            def _jit(fn=None, **_kw):
                return fn if fn is not None else (lambda f: f)
            triton = types.SimpleNamespace(jit=_jit, next_power_of_2=lambda n: 1 << (n - 1).bit_length())
            tl = types.SimpleNamespace(constexpr=object)
            triton_note = "stub (triton not importable)"
        stub("vllm.triton_utils", triton=triton, tl=tl)
        stub("vllm.utils")
        # only registers the CUDA-only Triton op nvfp4_gathered_bias; not used here
        stub("vllm.utils.torch_utils", direct_register_custom_op=lambda **_kw: None)

        spec = importlib.util.spec_from_file_location(
            "vllm.scalar_type", os.path.join(extract_dir, VLLM_SCALAR_TYPE_PATH))
        st = importlib.util.module_from_spec(spec)
        sys.modules["vllm.scalar_type"] = st
        spec.loader.exec_module(st)

        spec = importlib.util.spec_from_file_location("_golden_vllm_nvfp4_emulation_utils", emu_file)
        emu = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(emu)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

    info = {"vllm": version, "vllm_wheel": os.path.basename(wheel),
            "vllm_module": VLLM_EMU_PATH, "vllm_module_sha256": emu_sha,
            "triton_in_vllm_module": triton_note}
    return emu, info


def vllm_inputs() -> dict:
    """case -> (x, input_scale or None for amax-derived)."""
    cases = {}
    g = gen_for("vllm.bf16_normal")
    cases["bf16_normal"] = (randn_outliers((8, 128), g).to(torch.bfloat16), None)
    g = gen_for("vllm.fp16_normal")
    cases["fp16_normal"] = (randn_outliers((5, 64), g).to(torch.float16), None)
    g = gen_for("vllm.fp32_normal")
    cases["fp32_normal"] = (randn_outliers((7, 96), g), None)

    g = gen_for("vllm.bf16_zero_tiny")
    x = randn_outliers((4, 64), g)
    amax = 32.0
    x[2, 5] = -amax                      # pins the tensor amax
    x[0, 0:16] = 0.0                     # zero block
    x[0, 16:32] = -0.0                   # -0.0 block
    x[3, 3] = -0.0
    x[3, 7] = 0.0
    # block amax relative to the tensor amax; vLLM's block scale is ~448 * rel
    # before the e4m3 cast (e4m3 rounds anything below 2**-10 to 0)
    for (r, b), rel in zip([(0, 3), (1, 0), (1, 1), (1, 2), (1, 3), (3, 2)],
                           [1e-30, 2.0 ** -22, 1e-6, 5e-6, 2e-5, 1e-4]):
        blk = torch.randn(16, generator=g)
        x[r, 16 * b:16 * (b + 1)] = blk / blk.abs().max() * (amax * rel)
    cases["bf16_zero_tiny"] = (x.to(torch.bfloat16), None)

    g = gen_for("vllm.bf16_fixed_scale")
    x = randn_outliers((6, 64), g, std=4.0).to(torch.bfloat16)
    # a fixed input scale well below amax/2688: most block scales saturate at
    # 448 and large elements clip at +/-6 before rounding
    cases["bf16_fixed_scale"] = (x, torch.tensor(2.0 ** -10, dtype=torch.float32))

    # extra: exact e2m1 midpoints (ties).  Fixed input_scale 2**-12 -> global
    # scale 2**12; block amax 6*s*2**-12 with s a power of two, so vLLM's
    # 1/(scale/global_scale) is exact and scaled elements are exactly t.
    g = gen_for("vllm.fp32_ties")
    mids = [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0]
    signed = mids + [-m for m in mids]
    pow2 = [1.0, 2.0, 0.5, 2.0 ** -3, 64.0, 256.0, 2.0 ** -6, 4.0]
    rows = []
    for r in range(4):
        blks = []
        for b in range(4):
            s = pow2[(4 * r + b) % len(pow2)]
            top = 6.0 if torch.rand(1, generator=g).item() < 0.5 else -6.0
            blk = torch.tensor([top] + signed + [-0.0], dtype=torch.float32)
            blk = blk[torch.randperm(16, generator=g)]
            blks.append(blk * (s * 2.0 ** -12))
        rows.append(torch.cat(blks))
    cases["fp32_ties"] = (torch.stack(rows), torch.tensor(2.0 ** -12, dtype=torch.float32))
    return cases


E2M1_MAGNITUDES = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


def e2m1_codes_from_values(v: torch.Tensor) -> torch.Tensor:
    """Map the fp4 values computed by the reference back to 4-bit codes.

    Zero (either sign) -> code 0: vLLM uses torch.sign, so the sign of zero is
    not meaningful in its fp4 values."""
    v = v.float()
    hit = v.abs().unsqueeze(-1) == E2M1_MAGNITUDES
    assert bool((hit.sum(-1) == 1).all()), "reference produced a non-e2m1 value"
    mag = hit.to(torch.uint8).argmax(-1).to(torch.uint8)
    sign = ((v < 0) & (mag != 0)).to(torch.uint8) << 3
    return (sign | mag).to(torch.uint8)


def make_vllm(out_dir: str, wheel: str) -> str:
    emu, vinfo = load_vllm_emulation(wheel)
    block = 16
    tensors = {}
    info = {}
    for case, (x, fixed_scale) in vllm_inputs().items():
        if fixed_scale is None:
            amax = x.abs().max().float()
            input_scale = amax / (E2M1_MAX * E4M3_MAX)            # fp32
            scale_note = "amax/(6*448)"
        else:
            input_scale = fixed_scale
            scale_note = "fixed"
        # vLLM ModelOpt path: input_global_scale_inv = (1.0 / input_scale).float()
        global_scale = (1.0 / input_scale).to(torch.float32)

        fp4_vals, block_scale = emu.ref_nvfp4_quant(x.clone(), global_scale, block)
        x_dq = emu.ref_nvfp4_quant_dequant(x.clone(), global_scale, block)
        assert x_dq.dtype == x.dtype and x_dq.shape == x.shape

        codes = e2m1_codes_from_values(fp4_vals)
        scale_e4m3 = block_scale.to(torch.float8_e4m3fn)
        assert torch.equal(scale_e4m3.float(), block_scale), "block scale not e4m3-exact"

        # consistency: the dequant of the recorded codes/scales equals x_dq
        # (as numbers; x_dq may carry -0.0 where the code records +0)
        decoded = emu.break_fp4_bytes(
            (codes[:, 0::2] | (codes[:, 1::2] << 4)).contiguous(), torch.float32)
        redq = (decoded.reshape(x.shape[0], -1, block)
                * (block_scale.unsqueeze(-1) / global_scale)).reshape(x.shape).to(x.dtype)
        assert same_values(redq, x_dq), f"{case}: codes/scales do not reproduce x_dq"

        tensors[f"{case}.x"] = x
        tensors[f"{case}.input_scale"] = input_scale.reshape(())
        tensors[f"{case}.codes"] = codes
        tensors[f"{case}.scale"] = scale_e4m3
        tensors[f"{case}.x_dq"] = x_dq
        info[case] = {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
                      "input_scale": float(input_scale), "input_scale_rule": scale_note,
                      "global_scale": float(global_scale),
                      "negative_zero_in_x_dq": int(torch.signbit(x_dq.float()).logical_and(x_dq == 0).sum())}
    md = base_metadata(dict(vinfo, **{
        "library": "vllm (module loaded from wheel)",
        "functions": "ref_nvfp4_quant(x, global_scale, 16) -> codes/scale; "
                     "ref_nvfp4_quant_dequant(x, global_scale, 16) -> x_dq (non-Triton CPU path)",
        "global_scale": "(1.0 / input_scale).float()",
        "codes": "one e2m1 code per byte, bit 3 = sign, zeros always code 0",
        "cases": json.dumps(info),
    }))
    path = os.path.join(out_dir, "nvfp4_act_vllm.safetensors")
    write(path, tensors, md)
    return path


# --------------------------------------------------------------------------
# (c) torchao MX formats
# --------------------------------------------------------------------------
MX_ELEMS = ["fp4_e2m1", "fp6_e2m3", "fp6_e3m2"]
MX_GRID = {  # (max magnitude, step) for a block whose elements hit midpoints
    "fp4_e2m1": (6.0, 0.25),
    "fp6_e2m3": (7.5, 1.0 / 16),
    "fp6_e3m2": (28.0, 1.0 / 32),
}


def mx_input(case: str, shape, dtype, elem: str) -> torch.Tensor:
    g = gen_for("mx." + case)
    x = randn_outliers(shape, g)
    # row scales spread the block exponents
    x = x * torch.pow(2.0, torch.randint(-6, 7, (shape[0], 1), generator=g).float())
    x[0, 32:64] = 0.0                                       # zero block
    x[1, 0:32] = torch.randn(32, generator=g) * 1e-30       # tiny block
    x[0, 5] = -0.0
    x[1, 40] = -0.0
    # grid block: scaled elements (scale 2**0 under EVEN/FLOOR) land on
    # element midpoints and exact values
    vmax, step = MX_GRID[elem]
    n = int(round(vmax / step))
    grid = torch.randint(-n, n + 1, (32,), generator=g).float() * step
    grid[0] = vmax if torch.rand(1, generator=g).item() < 0.5 else -vmax
    x[2, 0:32] = grid
    return x.to(dtype)


def mx_denorm_input(case: str) -> torch.Tensor:
    """fp32 [2, 64]: blocks whose amax is near / below the fp32 normal range."""
    g = gen_for("mx." + case)
    x = torch.zeros(2, 64)
    x[0, 0:32] = torch.randn(32, generator=g) * 2.0 ** -128     # fp32 subnormals
    x[0, 32:64] = torch.randn(32, generator=g) * 2.0 ** -120
    b = torch.rand(32, generator=g) * 0.9 + 1.0                  # [2**-126, 1.9*2**-126)
    x[1, 0:32] = b * torch.where(torch.rand(32, generator=g) < 0.5, -1.0, 1.0) * 2.0 ** -126
    x[1, 32:64] = -0.0                                           # all -0.0 block
    return x


def torchao_elem(elem: str):
    return torch.float4_e2m1fn_x2 if elem == "fp4_e2m1" else elem


def torchao_mx(x: torch.Tensor, elem: str, mode):
    from torchao.prototype.mx_formats.kernels import unpack_uint4
    from torchao.prototype.mx_formats.mx_tensor import MXTensor

    mx = MXTensor.to_mx(x, torchao_elem(elem), 32, scaling_mode=mode)
    scale = mx.scale.view(torch.uint8)
    codes = unpack_uint4(mx.qdata) if elem == "fp4_e2m1" else mx.qdata
    x_dq = mx.dequantize(x.dtype)
    assert scale.shape == (x.shape[0], x.shape[1] // 32)
    assert codes.dtype == torch.uint8 and codes.shape == x.shape
    assert x_dq.dtype == x.dtype
    return codes, scale, x_dq


def mx_cases() -> dict:
    """case -> (x, elem, mode name)."""
    cases = {}
    for elem in MX_ELEMS:
        cases[f"{elem}_bf16"] = (mx_input(f"{elem}_bf16", (8, 128), torch.bfloat16, elem), elem, "EVEN")
        cases[f"{elem}_fp32"] = (mx_input(f"{elem}_fp32", (6, 96), torch.float32, elem), elem, "EVEN")
        cases[f"{elem}_fp32_denorm"] = (mx_denorm_input(f"{elem}_fp32_denorm"), elem, "EVEN")
    return cases


def make_torchao(out_dir: str) -> tuple[str, dict]:
    import torchao
    from torchao.prototype.mx_formats.config import ScaleCalculationMode

    cases = mx_cases()
    if hasattr(ScaleCalculationMode, "FLOOR"):
        x, _, _ = cases["fp4_e2m1_bf16"]
        cases["fp4_e2m1_bf16_floor"] = (x.clone(), "fp4_e2m1", "FLOOR")
    tensors = {}
    info = {}
    for case, (x, elem, mode) in cases.items():
        codes, scale, x_dq = torchao_mx(x.clone(), elem, getattr(ScaleCalculationMode, mode))
        tensors[f"{case}.x"] = x
        tensors[f"{case}.scale"] = scale
        tensors[f"{case}.codes"] = codes
        tensors[f"{case}.x_dq"] = x_dq
        info[case] = {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
                      "elem": elem, "scale_mode": mode, "block_size": 32}
    md = base_metadata({
        "library": "torchao",
        "torchao": torchao.__version__,
        "functions": "torchao.prototype.mx_formats.mx_tensor.MXTensor.to_mx(x, elem, 32, "
                     "scaling_mode) -> qdata/scale; MXTensor.dequantize(x.dtype) -> x_dq; "
                     "kernels.unpack_uint4 for fp4 codes",
        "codes": "one code per byte, unpacked: fp4 = sign<<3|e2m1, fp6 = sign<<5|5-bit magnitude",
        "scale": "e8m0 biased exponent bytes (torch.float8_e8m0fnu viewed as uint8)",
        "cases": json.dumps(info),
    })
    path = os.path.join(out_dir, "mx_torchao.safetensors")
    write(path, tensors, md)
    return path, cases


# --------------------------------------------------------------------------
# (d) AMD Quark MX fake-quantize + fp6 packing (optional)
# --------------------------------------------------------------------------
QUARK_ELEM = {"fp4_e2m1": "fp4", "fp6_e2m3": "fp6_e2m3", "fp6_e3m2": "fp6_e3m2"}


def make_quark(out_dir: str, mx_inputs: dict) -> str:
    import quark.torch.kernel  # noqa: F401  (registers torch.ops.quark.*)
    from quark.torch.quantization.config.config import (
        OCP_MXFP4Spec,
        OCP_MXFP6E2M3Spec,
        OCP_MXFP6E3M2Spec,
    )
    from quark.torch.quantization.tensor_quantize import FakeQuantizeBase
    from quark.torch.utils.pack import create_pack_method
    from torchao.prototype.mx_formats.kernels import (
        f6_e2m3_unpacked_to_f32,
        f6_e3m2_unpacked_to_f32,
    )

    specs = {"fp4_e2m1": OCP_MXFP4Spec, "fp6_e2m3": OCP_MXFP6E2M3Spec, "fp6_e3m2": OCP_MXFP6E3M2Spec}
    tensors = {}
    info = {}
    for case, (x, elem, mode) in mx_inputs.items():
        if mode != "EVEN":
            continue
        # reference op behind Quark's NonScaledFakeQuantize (dtype "mx")
        y_op = torch.ops.quark.non_scaled_fake_quantize(x.clone(), "mx", QUARK_ELEM[elem], -1, 32, "even")
        # user-facing path: OCP_MX*Spec -> FakeQuantize module
        fq = FakeQuantizeBase.get_fake_quantize(specs[elem](ch_axis=-1, is_dynamic=True).to_quantization_spec())
        try:
            y_mod = fq(x.clone())
            path_used = f"{specs[elem].__name__} fake-quantize module ({type(fq).__name__})"
            agree = same_bits(y_mod, y_op)
            y = y_mod
        except Exception as e:  # e.g. fused MXFP4 kernel has no CPU bf16 path
            path_used = ("torch.ops.quark.non_scaled_fake_quantize (module path failed on CPU: "
                         f"{str(e).splitlines()[0][:80]})")
            agree = None
            y = y_op
        assert y.dtype == x.dtype and y.shape == x.shape
        tensors[f"{case}.x"] = x
        tensors[f"{case}.x_dq"] = y
        info[case] = {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
                      "elem": QUARK_ELEM[elem], "scale_calculation_mode": "even",
                      "path": path_used, "module_equals_non_scaled_op": agree}

    # fp6 packing: all 64 codes in order, then a fixed permutation of them
    g = gen_for("quark.fp6_pack")
    for name, elem, to_f32 in (("fp6_pack", "fp6_e2m3", f6_e2m3_unpacked_to_f32),
                               ("fp6_e3m2_pack", "fp6_e3m2", f6_e3m2_unpacked_to_f32)):
        codes = torch.cat([torch.arange(64), torch.randperm(64, generator=g)]).to(torch.uint8).reshape(2, 64)
        values = to_f32(codes)                       # fp6 values as fp32 (torchao decode)
        packer = create_pack_method(qscheme="per_group", dtype=elem)
        packed = packer.pack(values.clone(), False)
        assert packed.dtype == torch.uint8 and packed.shape == (2, 48)
        back = packer.unpack(packed.clone(), False)
        assert same_bits(back, values), f"{name}: Quark unpack does not round-trip"
        tensors[f"{name}.codes"] = codes
        tensors[f"{name}.values"] = values
        tensors[f"{name}.packed"] = packed
        info[name] = {"elem": elem, "packer": type(packer).__name__,
                      "input": "fp32 fp6 values decoded from codes with torchao"}

    md = base_metadata({
        "library": "amd-quark",
        "amd-quark": dist_version("amd-quark"),
        "functions": "FakeQuantizeBase.get_fake_quantize(OCP_MXFP4Spec/OCP_MXFP6E2M3Spec/"
                     "OCP_MXFP6E3M2Spec(ch_axis=-1, is_dynamic=True).to_quantization_spec()) "
                     "or torch.ops.quark.non_scaled_fake_quantize(x, 'mx', elem, -1, 32, 'even'); "
                     "quark.torch.utils.pack.create_pack_method(dtype='fp6_e2m3'|'fp6_e3m2').pack",
        "cases": json.dumps(info),
    })
    path = os.path.join(out_dir, "mx_quark.safetensors")
    write(path, tensors, md)
    return path


# --------------------------------------------------------------------------
def describe(path: str) -> None:
    size = os.path.getsize(path)
    print(f"\n== {os.path.relpath(path, HERE)}  ({size} bytes)")
    with safe_open(path, framework="pt") as f:
        md = f.metadata() or {}
        print("   metadata:", ", ".join(f"{k}={md[k]}" for k in sorted(md) if k != "cases"))
        for name in sorted(f.keys()):
            t = f.get_tensor(name)
            assert t.is_contiguous()
            print(f"   {name:45s} {str(t.dtype).replace('torch.', ''):14s} {list(t.shape)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: tests/golden/data)")
    ap.add_argument("--vllm-wheel", help="path to a downloaded vllm wheel (else pip download)")
    ap.add_argument("--vllm-version", default=DEFAULT_VLLM_VERSION)
    ap.add_argument("--vllm-cache", default=os.path.join(tempfile.gettempdir(), "golden-vllm-wheel"))
    ap.add_argument("--only", nargs="*", choices=["modelopt", "vllm", "torchao", "quark"],
                    help="generate only these files")
    ap.add_argument("--skip-quark", action="store_true")
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    want = set(args.only or ["modelopt", "vllm", "torchao", "quark"])
    if args.skip_quark:
        want.discard("quark")

    written = []
    if "modelopt" in want:
        written.append(make_modelopt(args.out))
    if "vllm" in want:
        wheel = args.vllm_wheel or fetch_vllm_wheel(args.vllm_version, args.vllm_cache)
        written.append(make_vllm(args.out, wheel))
    mx_inputs = None
    if "torchao" in want:
        p, mx_inputs = make_torchao(args.out)
        written.append(p)
    if "quark" in want:
        if mx_inputs is None:
            mx_inputs = mx_cases()
        try:
            written.append(make_quark(args.out, mx_inputs))
        except ImportError as e:
            print(f"skipping Quark: {e}", file=sys.stderr)

    for p in written:
        describe(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
