"""microscale: block-scaled low-precision (NVFP4, MXFP4, MXFP6) linear layers for CPUs.

The C++ library does the work (``microscale._core``); this package gives it a typed API over numpy
arrays and torch CPU tensors. Activations and outputs are float32, bfloat16 (torch) or float16 and
are passed without copies; quantized weights are copied once, into the kernel's own layout, when
a layer is prepared.

>>> import numpy as np, microscale
>>> w = np.random.default_rng(0).standard_normal((64, 128), dtype=np.float32)
>>> layer = microscale.Linear.from_quantized(microscale.quantize_weight(w, "W4A16_NVFP4"), "W4A16_NVFP4", activation="f32")
>>> layer(np.ones((2, 128), dtype=np.float32)).shape
(2, 64)

Errors: wrong dtypes or devices are ``TypeError``, wrong shapes, strides and values ``ValueError``
(``CheckpointError`` and ``ConfigError`` for malformed checkpoint files and configs, both
``ValueError``), and ``NoKernelError`` (a ``RuntimeError``) when no kernel can run a scheme here.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core
from ._core import CheckpointError, ConfigError, NoKernelError, QuantizedWeight, aliases, resolve_scheme, schemes

__version__: str = _core.__version__

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "ConfigError",
    "Linear",
    "MoE",
    "NoKernelError",
    "QuantizedWeight",
    "aliases",
    "kernels",
    "qdq",
    "quantize_checkpoint",
    "quantize_weight",
    "resolve_scheme",
    "schemes",
]

Array = Any  # a numpy.ndarray or a torch.Tensor on the CPU
PathLike = Union[str, "os.PathLike[str]"]


def _is_torch(x: object) -> bool:
    return type(x).__module__.startswith("torch")


def _float32(x: Array) -> np.ndarray:
    """x as a contiguous float32 numpy array (torch tensors of any float dtype are widened exactly)."""
    if _is_torch(x):
        if x.device.type != "cpu":
            raise TypeError(f"a CPU tensor is needed (got device {x.device})")
        return x.detach().to(dtype=__import__("torch").float32).contiguous().numpy()
    return np.ascontiguousarray(x, dtype=np.float32)


def kernels(why: bool = False) -> list[dict[str, Any]]:
    """The compiled kernels in priority order: name, scheme, format, activation, layout, backend,
    supported (on this machine) and, with ``why=True``, the reason."""
    rows = _core.kernels()
    if not why:
        for row in rows:
            del row["why"]
    return rows


def quantize_weight(w: Array, scheme: str, *, input_scale: Optional[float] = None, mx_rule: str = "even") -> QuantizedWeight:
    """Quantizes a [N, K] weight the way ModelOpt (NVFP4) and Quark / torchao (MX) do.

    ``scheme`` is a scheme or alias (``microscale.schemes()``, ``microscale.aliases()``); W4A4 NVFP4
    layers also need ``input_scale`` (the calibrated activation amax / 2688)."""
    return _core.quantize_weight(_float32(w), scheme, input_scale, mx_rule)


def qdq(x: Array, scheme: str, *, input_scale: Optional[float] = None, mx_rule: str = "even") -> Array:
    """Quantize-dequantize of activations x [M, K] as the scheme's W4A4 kernels do before their dot
    products; a torch tensor comes back as a tensor of x's dtype, anything else as float32 numpy."""
    out = _core.qdq(_float32(x), scheme, input_scale, mx_rule)
    if _is_torch(x):
        import torch

        return torch.from_numpy(out).to(x.dtype)
    return out


def _output_like(x: Array, rows: int, cols: int) -> Array:
    if _is_torch(x):
        import torch

        return torch.empty((rows, cols), dtype=x.dtype)
    return np.empty((rows, cols), dtype=x.dtype)


def _rows(x: Array, width: int, name: str) -> Array:
    """x [..., width] as a 2-D [rows, width] view (a copy only if its rows are not contiguous)."""
    if not hasattr(x, "shape") or len(x.shape) == 0 or x.shape[-1] != width:
        shape = getattr(x, "shape", None)
        raise ValueError(f"{name}: expected [..., {width}], got shape {tuple(shape) if shape is not None else type(x).__name__}")
    x2 = x.reshape(-1, width)
    return x2.contiguous() if _is_torch(x2) and x2.stride(-1) != 1 else x2


class Linear:
    """A prepared linear layer: ``y = x @ W.T (+ bias)`` on the kernel the runtime table chose."""

    def __init__(self, layer: _core.Linear, bias: Optional[Array] = None) -> None:
        self._layer = layer
        self._bias = None if bias is None else _float32(bias).reshape(-1)
        if self._bias is not None and self._bias.shape[0] != layer.out_features:
            raise ValueError(f"bias: {self._bias.shape[0]} values for {layer.out_features} output features")

    @classmethod
    def from_quantized(
        cls,
        weight: QuantizedWeight,
        scheme: str,
        *,
        activation: str = "bf16",
        bias: Optional[Array] = None,
        kernel: Optional[str] = None,
        backend: Optional[str] = None,
    ) -> "Linear":
        """Prepares ``weight`` for ``scheme``; ``activation`` (f32, bf16, f16) is the dtype of x the
        layer is selected for; ``kernel`` / ``backend`` force a kernel (canonical name) or backend."""
        return cls(_core.create_linear(scheme, weight, activation, kernel, backend), bias)

    @classmethod
    def from_float(cls, w: Array, bias: Optional[Array] = None) -> "Linear":
        """An unquantized layer (fp32 weights, fp32 accumulation)."""
        return cls(_core.dense_linear(_float32(w)), bias)

    @classmethod
    def from_checkpoint(
        cls, checkpoint: Union["Checkpoint", PathLike], prefix: str, *, activation: str = "bf16", kernel: Optional[str] = None, backend: Optional[str] = None
    ) -> "Linear":
        """Module ``prefix`` (``<prefix>.weight``…) of a checkpoint folder, quantized or not; a fused
        module (``…qkv_proj``) is assembled from its stored shards."""
        ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint)
        return ckpt.linear(prefix, activation=activation, kernel=kernel, backend=backend)

    @property
    def in_features(self) -> int:
        return self._layer.in_features

    @property
    def out_features(self) -> int:
        return self._layer.out_features

    @property
    def kernel_name(self) -> str:
        return self._layer.kernel_name

    @property
    def memory_bytes(self) -> int:
        """The prepared weight's bytes in memory."""
        return self._layer.memory_bytes

    def __call__(self, x: Array, *, out: Optional[Array] = None, threads: int = 0) -> Array:
        """y [..., N] for x [..., K] (float32, bfloat16 or float16; y has x's dtype). ``threads``: 0 is
        OpenMP's default; the GIL is released while the kernel runs."""
        x2 = _rows(x, self.in_features, "x")
        y = _output_like(x2, x2.shape[0], self.out_features) if out is None else _rows(out, self.out_features, "out")
        self._layer.apply(x2, y, self._bias, threads)
        if out is not None:
            return out
        return y.reshape(*x.shape[:-1], self.out_features)

    def __repr__(self) -> str:
        return f"microscale.Linear({self.in_features} -> {self.out_features}, kernel={self.kernel_name})"


class MoE:
    """A prepared mixture-of-experts block (gated experts, stacked gate/up ``w13`` and down ``w2``;
    the expert activation is the checkpoint convention's: silu, or gpt-oss's clamped swiglu)."""

    def __init__(self, layer: _core.MoE) -> None:
        self._layer = layer

    @classmethod
    def from_quantized(
        cls,
        w13: Sequence[QuantizedWeight],
        w2: Sequence[QuantizedWeight],
        scheme: str,
        *,
        w13_bias: Optional[Array] = None,
        w2_bias: Optional[Array] = None,
        activation: str = "bf16",
        kernel: Optional[str] = None,
        backend: Optional[str] = None,
    ) -> "MoE":
        """Experts from per-expert weights: w13[e] is [2I, K] (gate rows, then up rows), w2[e] [K, I]."""
        b13 = None if w13_bias is None else _float32(w13_bias)
        b2 = None if w2_bias is None else _float32(w2_bias)
        return cls(_core.create_moe(scheme, list(w13), list(w2), b13, b2, activation, kernel, backend))

    @classmethod
    def from_checkpoint(cls, checkpoint: Union["Checkpoint", PathLike], prefix: str, *, activation: str = "bf16") -> "MoE":
        ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint)
        return ckpt.moe(prefix, activation=activation)

    @property
    def experts(self) -> int:
        return self._layer.experts

    @property
    def hidden(self) -> int:
        return self._layer.hidden

    @property
    def intermediate(self) -> int:
        return self._layer.intermediate

    @property
    def kernel_name(self) -> str:
        return self._layer.kernel_name

    @property
    def memory_bytes(self) -> int:
        """The prepared experts' bytes in memory (weights, scales, biases)."""
        return self._layer.memory_bytes

    @property
    def warnings(self) -> list[str]:
        return list(self._layer.warnings)

    def __call__(
        self, x: Array, topk_ids: Array, topk_weights: Array, *, out: Optional[Array] = None, threads: int = 0, router_weight_on_input: bool = False
    ) -> Array:
        """y [T, K] = sum over the top-k experts of weight * expert(x); topk_ids int32 [T, k],
        topk_weights float32 [T, k]."""
        x2 = _rows(x, self.hidden, "x")
        ids = topk_ids.to(dtype=__import__("torch").int32).contiguous() if _is_torch(topk_ids) else np.ascontiguousarray(topk_ids, dtype=np.int32)
        weights = _float32(topk_weights)
        y = _output_like(x2, x2.shape[0], self.hidden) if out is None else _rows(out, self.hidden, "out")
        self._layer.apply(x2, ids.reshape(x2.shape[0], -1), weights.reshape(x2.shape[0], -1), y, threads, router_weight_on_input)
        if out is not None:
            return out
        return y.reshape(*x.shape[:-1], self.hidden)


class Checkpoint:
    """A checkpoint folder (or one .safetensors file): its quantization config, modules and tensors."""

    def __init__(self, path: PathLike) -> None:
        self.path = os.fspath(path)
        self._reader = _core.Checkpoint(self.path)

    @property
    def convention(self) -> str:
        """modelopt, compressed-tensors, quark, hf-mxfp4, or none."""
        return self._reader.convention

    @property
    def exclude(self) -> list[str]:
        """The config's exclusion list, as written."""
        return self._reader.exclude

    def modules(self) -> list[str]:
        """Linear modules stored in the checkpoint (prefixes)."""
        return self._reader.module_names()

    def fusable_modules(self) -> list[str]:
        """Fused modules (``…qkv_proj``, ``…gate_up_proj``) that can be assembled from stored shards."""
        return self._reader.fusable_modules()

    def describe(self, module: str) -> dict[str, Any]:
        """What module ``module`` runs as: quantized, scheme, reason, convention, shape, bytes."""
        return self._reader.describe(module)

    def inspect(self) -> list[dict[str, Any]]:
        """``describe`` of every stored module."""
        return [self.describe(m) for m in self.modules()]

    def moe_names(self) -> list[str]:
        return self._reader.moe_names()

    def tensor_names(self) -> list[str]:
        return self._reader.tensor_names()

    def tensor_shape(self, name: str) -> list[int]:
        return self._reader.tensor_shape(name)

    def read_tensor(self, name: str) -> np.ndarray:
        """A floating-point tensor, widened exactly to float32."""
        return self._reader.read_tensor(name)

    def load_quantized(self, module: str) -> QuantizedWeight:
        return self._reader.load_quantized(module)

    def linear(self, module: str, *, activation: str = "bf16", kernel: Optional[str] = None, backend: Optional[str] = None) -> Linear:
        bias_name = f"{module}.bias"
        bias = self.read_tensor(bias_name) if bias_name in set(self.tensor_names()) else None
        return Linear(self._reader.load_linear(module, activation, kernel, backend), bias)

    def moe(self, prefix: str, *, activation: str = "bf16") -> MoE:
        return MoE(self._reader.load_moe(prefix, activation))


def quantize_checkpoint(
    source: PathLike,
    output: PathLike,
    scheme: str,
    *,
    convention: Optional[str] = None,
    exclude: Sequence[str] = (),
    overwrite: bool = False,
    calibration: Optional[PathLike] = None,
) -> dict[str, Any]:
    """Quantizes a floating-point checkpoint folder into ``output`` (``microscale quantize``): the
    scheme's default convention unless ``convention`` (modelopt, compressed-tensors, quark, or
    hf-mxfp4: a gpt-oss model's experts as transformers' ``mxfp4`` stores them) is given; ``exclude`` globs keep modules in floating point; ``calibration`` is a .safetensors file
    of sample activations ``<module>.input`` (W4A4 NVFP4 needs them for its input scales).
    Returns the export report."""
    samples = None if calibration is None else os.fspath(calibration)
    return _core.quantize_checkpoint(os.fspath(source), os.fspath(output), scheme, convention, list(exclude), overwrite, samples)
