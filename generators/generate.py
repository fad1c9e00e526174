#!/usr/bin/env python3
"""Generates every file that lists kernels from generators/kernels.manifest.

    python3 generators/generate.py           write the generated files
    python3 generators/generate.py --check   exit 1 if any generated file is stale (CI)

Python 3 standard library only. The kernel naming function here mirrors
microscale::make_kernel_name (include/microscale/kernel.hpp); the generated registry table
static_asserts that the two agree for every kernel.
"""
from __future__ import annotations

import argparse
import dataclasses
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "generators" / "kernels.manifest"
BANNER = "generated from generators/kernels.manifest by generators/generate.py — do not edit"

FAMILIES = {
    # family: (C++ class template, header, name prefix)
    "linear": ("linear_kernel", None, ""),
    "moe": ("moe_kernel", "microscale/moe.hpp", "moe."),
}
FORMATS = ["nvfp4", "mxfp4", "mxfp6_e2m3", "mxfp6_e3m2"]
ACTIVATIONS = ["a16", "aq"]
# the layout slot: "stored" (the weight's stored layout, runtime data) or a concrete scale layout
# read natively (include/microscale/layout/layouts.hpp)
LAYOUTS = ["stored", "linear", "swizzled_128x4"]
BACKENDS = {
    # backend: the header that defines it
    "emulation": "microscale/backend/emulation.hpp",
    "simd": "microscale/backend/simd.hpp",
    "cuda": "microscale/backend/cuda.hpp",
}
# the layout slots a backend builds (its `supports`): the CPU backends take the stored layout only
BACKEND_LAYOUTS = {
    "emulation": ["stored"],
    "simd": ["stored"],
    "cuda": ["stored"],
}


@dataclasses.dataclass(frozen=True)
class Kernel:
    family: str
    format: str
    activation: str
    layout: str
    backend: str
    line: int

    @property
    def scheme(self) -> str:
        return scheme_name(self.format, self.activation)

    @property
    def name(self) -> str:
        return FAMILIES[self.family][2] + kernel_name(self.format, self.activation, self.layout, self.backend)

    @property
    def ident(self) -> str:
        """A C identifier for the kernel (macro suffix)."""
        return re.sub(r"[^A-Za-z0-9_]", "_", self.name)

    @property
    def cpp_type(self) -> str:
        return (f"::microscale::{FAMILIES[self.family][0]}<::microscale::format::{self.format}, "
                f"::microscale::activation::{self.activation}, ::microscale::layout::{self.layout}, "
                f"::microscale::backend::{self.backend}>")


@dataclasses.dataclass(frozen=True)
class Alias:
    alias: str
    scheme: str
    origin: str


def scheme_name(fmt: str, activation: str) -> str:
    return f"w_{fmt}" + (f"_a_{fmt}" if activation == "aq" else "")


def kernel_name(fmt: str, activation: str, layout: str, backend: str) -> str:
    return f"{scheme_name(fmt, activation)}.{layout}.{backend}"


def parse_manifest(path: pathlib.Path) -> tuple[list[Kernel], list[Alias]]:
    kernels: list[Kernel] = []
    aliases: list[Alias] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()

        def fail(message: str) -> None:
            sys.exit(f"{path}:{number}: {message}\n    {raw}")

        if words[0] == "alias":
            if len(words) < 3:
                fail("alias lines are: alias <name> <scheme> <who says it>")
            aliases.append(Alias(words[1], words[2], " ".join(words[3:])))
            continue
        if len(words) != 5:
            fail("kernel lines are: <family> <format> <activation> <layout> <backend>")
        family, fmt, activation, layout, backend = words
        for value, allowed, what in ((family, FAMILIES, "family"), (fmt, FORMATS, "format"),
                                     (activation, ACTIVATIONS, "activation"),
                                     (layout, LAYOUTS, "layout"), (backend, BACKENDS, "backend")):
            if value not in allowed:
                fail(f"unknown {what} '{value}' (known: {', '.join(sorted(allowed))})")
        if layout not in BACKEND_LAYOUTS[backend]:
            fail(f"backend {backend} takes layout {' or '.join(BACKEND_LAYOUTS[backend])}, not '{layout}' "
                 "(it reads the weight's stored scale layout at run time)")
        kernels.append(Kernel(family, fmt, activation, layout, backend, number))
    names = [k.name for k in kernels]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        sys.exit(f"{path}: duplicate kernels: {', '.join(sorted(duplicates))}")
    schemes = {k.scheme for k in kernels}
    for a in aliases:
        if a.scheme not in schemes:
            sys.exit(f"{path}: alias {a.alias} names scheme {a.scheme}, which no kernel implements")
    return kernels, aliases


# ---- emitters -------------------------------------------------------------------------------------

def cpp_banner() -> str:
    return f"// {BANNER}\n"


def enabled_only(k: Kernel, text: str) -> str:
    """`text` between #if MICROSCALE_KERNEL_<ident> and #endif: it compiles only where the kernel is enabled."""
    return f"#if MICROSCALE_KERNEL_{k.ident}\n{text}#endif\n"


def instantiation_tu(k: Kernel) -> str:
    header = FAMILIES[k.family][1]
    includes = f'#include "{BACKENDS[k.backend]}"\n'
    if header:  # built on the linear kernels: use their explicit instantiations
        includes = f'#include "microscale/generated/kernel_declarations.hpp"\n#include "{header}"\n'
    return (cpp_banner()
            + f"// {k.name}: {k.family} kernel, {k.format} weights, {k.activation} activations, "
              f"{'scales in any stored layout' if k.layout == 'stored' else k.layout + ' scales'}, "
              f"{k.backend} backend (manifest line {k.line}).\n"
            + includes + "\n"
            + f"template class {k.cpp_type};\n")


def kernel_declarations(kernels: list[Kernel]) -> str:
    out = [cpp_banner(),
           "// Explicit-instantiation declarations of the kernels compiled into microscale::kernels:\n"
           "// include this (instead of instantiating kernels yourself) when you link that library.\n"
           "#pragma once\n\n"
           '#include "microscale/enabled_kernels.hpp"\n'
           '#include "microscale/kernel.hpp"\n']
    for header in sorted({BACKENDS[k.backend] for k in kernels}):
        out.append(f'#include "{header}"\n')
    out.append('#include "microscale/moe.hpp"\n')
    out.append("\n")
    for k in kernels:
        out.append(enabled_only(k, f"extern template class {k.cpp_type};\n"))
    return "".join(out)


def registry_table(kernels: list[Kernel], aliases: list[Alias]) -> str:
    out = [cpp_banner(),
           "// The runtime table: every enabled kernel of the manifest in priority order, and the\n"
           "// scheme aliases.\n"
           '#include "microscale/generated/kernel_declarations.hpp"\n'
           '#include "microscale/moe.hpp"\n'
           '#include "microscale/registry.hpp"\n\n'
           "namespace microscale {\n\n"
           "namespace {\n"
           "constexpr kernel_entry table[] = {\n"]
    for k in (k for k in kernels if k.family == "linear"):
        out.append(enabled_only(k, f"    make_entry<{k.cpp_type}>(),\n"))
    out.append("    kernel_entry{},  // end marker (not part of the table)\n};\n\n")
    out.append("constexpr moe_kernel_entry moe_table[] = {\n")
    for k in (k for k in kernels if k.family == "moe"):
        out.append(enabled_only(k, f"    make_moe_entry<{k.cpp_type}>(),\n"))
    out.append("    moe_kernel_entry{},  // end marker (not part of the table)\n};\n\n")
    out.append("constexpr scheme_alias alias_table[] = {\n")
    for a in aliases:
        out.append(f'    {{"{a.alias}", "{a.scheme}", "{a.origin}"}},\n')
    out.append("};\n\n")
    for k in kernels:
        out.append(enabled_only(k, f'static_assert({k.cpp_type}::name == "{k.name}",\n'
                                   f'              "generate.py and make_kernel_name disagree on {k.name}");\n'))
    out.append("}  // namespace\n\n"
               "std::span<const kernel_entry> kernel_table() noexcept {\n"
               "    return {table, std::size(table) - 1};\n"
               "}\n\n"
               "std::span<const scheme_alias> scheme_aliases() noexcept { return alias_table; }\n\n"
               "std::span<const moe_kernel_entry> moe_kernel_table() noexcept {\n"
               "    return {moe_table, std::size(moe_table) - 1};\n"
               "}\n\n"
               "}  // namespace microscale\n")
    return "".join(out)


def kernels_cmake(kernels: list[Kernel]) -> str:
    out = [f"# {BANNER}\n",
           "# Every kernel of the manifest: name, C identifier, family, backend, instantiation TU.\n",
           "set(MICROSCALE_MANIFEST_KERNELS\n"]
    for k in kernels:
        out.append(f"  \"{k.name}|{k.ident}|{k.family}|{k.backend}|generated/{k.name}.cpp\"\n")
    out.append(")\n")
    return "".join(out)


def test_types(kernels: list[Kernel]) -> str:
    out = [cpp_banner(),
           "// Type lists of the enabled kernels, per family, for typed GoogleTest sweeps.\n"
           "#pragma once\n\n"
           "#include <boost/mp11/algorithm.hpp>\n"
           "#include <boost/mp11/list.hpp>\n\n"
           '#include "microscale/generated/kernel_declarations.hpp"\n\n'
           "namespace microscale::test {\n\n"]
    for family in sorted({k.family for k in kernels}):
        out.append(f"using {family}_kernel_types = boost::mp11::mp_append<\n")
        for k in (k for k in kernels if k.family == family):
            out.append(enabled_only(k, f"    boost::mp11::mp_list<{k.cpp_type}>,\n"))
        out.append("    boost::mp11::mp_list<>>;\n\n")
    out.append("}  // namespace microscale::test\n")
    return "".join(out)


def benchmark_registrations(kernels: list[Kernel]) -> str:
    out = [cpp_banner(),
           "// One Google Benchmark registration per enabled kernel (the harness is bench/harness.hpp).\n"
           '#include "harness.hpp"\n\n'
           "namespace microscale::bench {\n\n"
           "void register_generated_kernels() {\n"]
    for k in kernels:
        out.append(enabled_only(k, f"    register_{k.family}_kernel<{k.cpp_type}>();\n"))
    out.append("}\n\n}  // namespace microscale::bench\n")
    return "".join(out)


def readme_table(kernels: list[Kernel], aliases: list[Alias]) -> str:
    out = ["<!-- kernels:begin (generated from generators/kernels.manifest — do not edit) -->\n",
           "| priority | kernel | scheme | format | activations | scale layout | backend | aliases |\n",
           "|---|---|---|---|---|---|---|---|\n"]
    rank: dict[str, int] = {}
    for k in kernels:
        key = k.family + k.scheme
        rank[key] = rank.get(key, 0) + 1
        names = ", ".join(f"`{a.alias}`" for a in aliases if a.scheme == k.scheme and a.alias != k.scheme)
        activation = "quantized (W·A·)" if k.activation == "aq" else "bf16/fp16/fp32 (weight-only)"
        layout = "any (`stored`)" if k.layout == "stored" else k.layout
        out.append(f"| {rank[k.family + k.scheme]} | `{k.name}` | `{k.scheme}` | {k.format} | {activation} | "
                   f"{layout} | {k.backend} | {names} |\n")
    out.append("<!-- kernels:end -->\n")
    return "".join(out)


def outputs(kernels: list[Kernel], aliases: list[Alias]) -> dict[pathlib.Path, str]:
    files: dict[pathlib.Path, str] = {}
    for k in kernels:
        files[ROOT / "instantiations" / "generated" / f"{k.name}.cpp"] = instantiation_tu(k)
    files[ROOT / "instantiations" / "generated" / "registry_table.cpp"] = registry_table(kernels, aliases)
    files[ROOT / "instantiations" / "generated" / "kernels.cmake"] = kernels_cmake(kernels)
    files[ROOT / "include" / "microscale" / "generated" / "kernel_declarations.hpp"] = kernel_declarations(kernels)
    files[ROOT / "tests" / "generated" / "kernel_types.hpp"] = test_types(kernels)
    files[ROOT / "bench" / "generated" / "kernel_benchmarks.cpp"] = benchmark_registrations(kernels)
    readme = ROOT / "README.md"
    text = readme.read_text()
    pattern = re.compile(r"<!-- kernels:begin.*?<!-- kernels:end -->\n", re.S)
    if not pattern.search(text):
        sys.exit("README.md has no <!-- kernels:begin --> ... <!-- kernels:end --> section")
    files[readme] = pattern.sub(lambda _: readme_table(kernels, aliases), text)
    return files


def generated_dirs() -> list[pathlib.Path]:
    return [ROOT / "instantiations" / "generated", ROOT / "include" / "microscale" / "generated",
            ROOT / "tests" / "generated", ROOT / "bench" / "generated"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated files are stale")
    args = parser.parse_args()
    kernels, aliases = parse_manifest(MANIFEST)
    files = outputs(kernels, aliases)
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    extra = [p for d in generated_dirs() if d.exists() for p in d.iterdir() if p not in files]
    if args.check:
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}")
        for p in extra:
            print(f"not in the manifest: {p.relative_to(ROOT)}")
        if stale or extra:
            print("generated files are out of date: run python3 generators/generate.py")
            return 1
        print(f"generated files are up to date ({len(kernels)} kernels, {len(aliases)} aliases)")
        return 0
    for p in extra:
        p.unlink()
        print(f"removed {p.relative_to(ROOT)}")
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(files[p])
        print(f"wrote {p.relative_to(ROOT)}")
    print(f"{len(kernels)} kernels, {len(aliases)} aliases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
