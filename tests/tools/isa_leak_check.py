#!/usr/bin/env python3
"""Checks that tier-specific instructions stay in their tier's code.

Each simd tier is a translation unit compiled with its own flags; if an inline function or
template shared with baseline code were compiled in a tier's TU and picked by the linker, the
baseline code would run AVX instructions on CPUs without them. So: every function of BINARY that
uses zmm registers must belong to the avx512 tier, and every function using ymm registers to the
avx2 or avx512 tier (their symbols carry the tier: namespace avx512, xsimd's avx2 arch).

    isa_leak_check.py BINARY
"""
import re
import subprocess
import sys


def main() -> int:
    binary = sys.argv[1]
    listing = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary], capture_output=True, text=True,
                             check=True).stdout
    function, leaks, counts = None, {}, {"zmm": 0, "ymm": 0}
    allowed = {
        "zmm": re.compile(r"simd_isa::avx512|avx512_kernels"),
        "ymm": re.compile(r"simd_isa::avx512|avx512_kernels|xsimd::avx2|xsimd::fma3<xsimd::avx2>|avx2_kernels"),
    }
    for line in listing.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if header:
            function = header.group(1)
            continue
        for register in ("zmm", "ymm"):
            if f"%{register}" in line:
                counts[register] += 1
                if function and not allowed[register].search(function):
                    leaks.setdefault(function, set()).add(register)
    if counts["zmm"] == 0:
        print(f"{binary}: no AVX-512 code at all (expected the avx512 tier)")
        return 1
    for function, registers in sorted(leaks.items()):
        print(f"LEAK: {function} uses {', '.join(sorted(registers))} outside its tier")
    print(f"{binary}: {counts['zmm']} zmm and {counts['ymm']} ymm instructions, {len(leaks)} functions outside their tier")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
