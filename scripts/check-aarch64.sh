#!/usr/bin/env bash
# Compiles the SIMD kernels (src/kernels: the only code that names an instruction set, through
# xsimd) for aarch64 with Debian's cross compiler, so the NEON paths keep building. -O0: the
# check is that every template instantiates for NEON, not how fast the result runs.
set -euo pipefail
cd "$(dirname "$0")/.."
compiler=aarch64-linux-gnu-g++
command -v "$compiler" >/dev/null || { echo "check-aarch64: $compiler is missing (scripts/setup.sh installs it)" >&2; exit 1; }
ls src/kernels/*.cpp | xargs -P"$(nproc)" -I{} "$compiler" -std=c++20 -O0 -Wall -Werror -Isrc -c {} -o /dev/null
echo "check-aarch64: src/kernels compiles for aarch64 (NEON: $("$compiler" -dM -E -x c++ /dev/null | grep -c __ARM_NEON) macro)"
