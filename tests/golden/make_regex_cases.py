#!/usr/bin/env python3
"""Writes data/regex_cases.json: what Python's own `re.match` says for layer-rule patterns.

Checkpoint exclude lists carry `re:<pattern>` entries that vLLM, compressed-tensors and Quark
match with Python's `re.match(pattern, module_name)`. microscale matches them with its own engine
(include/microscale/detail/regex.hpp); tests/checkpoint/regex_test.cpp checks it against this
file. Each case: {"pattern", "supported", "error": null or Python's message, "matches": [bools,
one per name in "names"]}. "supported" is false for the constructs microscale deliberately
rejects (back-references, look-around, ...): those must be errors there.

Deterministic (fixed seed); standard library only.  python3 tests/golden/make_regex_cases.py
"""
import json
import os
import random
import re
import sys

NAMES = [
    "lm_head",
    "model.embed_tokens",
    "model.layers.0.mlp.gate",
    "model.layers.0.mlp.gate_proj",
    "model.layers.0.mlp.gate_up_proj",
    "model.layers.0.mlp.down_proj",
    "model.layers.12.self_attn.q_proj",
    "model.layers.12.self_attn.qkv_proj",
    "model.layers.3.mlp.experts.7.up_proj",
    "model.layers.31.block_sparse_moe.gate",
    "model.visual.blocks.0.attn.proj",
    "transformer.h.0.attn.c_attn",
    "a",
    "aaaaaaaaaab",
    "",
    "ab-c_d 1\t2",
    "x.y\n",
    "ABC_123.xyz",
]

HAND = [
    # the shapes real configs use
    r".*mlp.gate$", r".*lm_head", r"lm_head", r".*self_attn.*", r"model.layers.\d+.mlp.gate$",
    r".*\.mlp\.gate$", r"model\.layers\.(0|1|2)\.", r".*(q|k|v)_proj$", r"^model\.visual\..*",
    r".*block_sparse_moe\.gate$", r"model.layers.[0-9]+.mlp.experts.\d+.(gate|up|down)_proj",
    r"(?:model\.)?embed_tokens", r"(?P<prefix>model)\.layers\.\d{1,2}\.", r".*experts\.[0-7]\.",
    # syntax corners
    r"", r"^", r"$", r"\A", r"\Z", r"a\Z", r"\bmodel\b", r"\Bodel", r".\B.", r"x\.y$", r"x\.y\Z",
    r"a{2}", r"a{2,}", r"a{,3}b", r"a{2,3}?", r"a{}", r"a{x}", r"a{1,2", r"{", r"}", r"]", r"a]",
    r"[]a]", r"[^]a]", r"[a-]", r"[-a]", r"[\]]", r"[\d.]+", r"[^\W\d]+", r"[\s]", r"\S+", r"[.]",
    r"[a-c-e]", r"\x41B", r"\0", r"\t", r"[\b]", r"(|a)b", r"a|", r"|", r"(a*)*b", r"(a|aa)*b",
    r"(a*)+$", r"(?:)*", r"()*a", r"(^)*", r"(\b)*m", r"a*?b", r"a+?", r"a??", r"\.\*\+\?", r"\#",
    r"\-", r"\ ", r"\/", r"\:",
    # errors, as Python reports them
    r"*a", r"+", r"?", r"a**", r"a*+*", r"a{2}{3}", r"a*??", r"^*", r"$+", r"\b*", r"(", r")", r"a)",
    r"(?P<1a>x)", r"(?P<n>x)(?P<n>y)", r"[a", r"[z-a]", r"[\d-z]", r"[a-\d]", r"\q", r"\x4", r"\\",
    r"\\\\", r"a{3,2}", r"(?P<n", "\\",
    # what microscale rejects although Python accepts it
    r"(a)\1", r"(?P<n>a)(?P=n)", r"(?=model)m", r"(?!x)m", r"(?<=a)b", r"(?<!a)b", r"(?i)MODEL",
    r"(?#c)model", r"(a)?(?(1)b|c)", r"(?>a)", r"a*+", r"a++b", r"\u0041", r"\N{LATIN SMALL LETTER A}",
    r"\101", r"[\1]", "é", r"a{1001}", r"a{99999999999999999999}",
]

UNSUPPORTED = re.compile(
    r"\\[1-9]|\(\?P=|\(\?[=!<]|\(\?(?!P<)[a-zA-Z#(>]|(?<!\\)[*+?}]\+|\\[uUN]|[^\x00-\x7f]|\{\d*,?\d{4,}\}|\{1001\}")

ATOMS = ["a", "b", "m", ".", r"\.", r"\d", r"\w", r"\s", r"\D", "[a-m]", "[^.]", "[0-9_]", "model", "layers",
         "mlp", "gate", "proj", "_", "x", "^", "$", r"\b", r"\B", r"\Z"]
ANCHORS = {"^", "$", r"\b", r"\B", r"\Z"}
QUANTS = ["", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{,2}", "{2,}", "{0}"]
GROUP_QUANTS = ["", "", "", "?", "??", "{2}", "{1,3}", "{,2}", "{0}"]


def random_pattern(rng, depth=0):
    parts = []
    for _ in range(rng.randint(1, 5)):
        if depth < 2 and rng.random() < 0.2:
            inner = "|".join(random_pattern(rng, depth + 1) for _ in range(rng.randint(1, 3)))
            atom = rng.choice(["(", "(?:"]) + inner + ")"
        else:
            atom = rng.choice(ATOMS)
        # a repeated group is repeated a bounded number of times: nested unbounded repeats make
        # Python's backtracking matcher exponential on the longer names (microscale's is not)
        q = rng.choice(GROUP_QUANTS if atom.startswith("(") else QUANTS)
        if atom in ANCHORS and rng.random() < 0.9:
            q = ""  # mostly valid patterns; Python refuses a repeated anchor ("nothing to repeat")
        if len(atom) > 1 and not atom.startswith(("(", "[", "\\")) and q:
            atom = "(?:" + atom + ")"
        parts.append(atom + q)
    return "".join(parts)


def case(pattern):
    supported = UNSUPPORTED.search(pattern) is None
    try:
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as e:
        return {"pattern": pattern, "supported": supported, "error": str(e), "matches": None}
    return {"pattern": pattern, "supported": supported, "error": None,
            "matches": [compiled.match(n) is not None for n in NAMES]}


def main():
    rng = random.Random(20261121)
    patterns = list(HAND)
    seen = set(patterns)
    while len(patterns) < len(HAND) + 1500:
        p = random_pattern(rng)
        if p not in seen:
            seen.add(p)
            patterns.append(p)
    out = {
        "producer": f"Python {sys.version.split()[0]} re.match (tests/golden/make_regex_cases.py)",
        "names": NAMES,
        "cases": [case(p) for p in patterns],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "regex_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=0, ensure_ascii=True)
        f.write("\n")
    errors = sum(c["error"] is not None for c in out["cases"])
    print(f"{path}: {len(out['cases'])} patterns, {errors} Python errors, "
          f"{sum(not c['supported'] for c in out['cases'])} unsupported by microscale")


if __name__ == "__main__":
    main()
