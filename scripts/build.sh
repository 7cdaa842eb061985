#!/usr/bin/env bash
# Builds the native tree (tests, benchmarks) and the wasm tree (tests, the npm package's module).
# usage: scripts/build.sh [native|wasm|package|all]   (default all; package: only the npm module in dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
jobs=$(nproc)
source scripts/emscripten-env.sh

if [ "$what" = native ] || [ "$what" = all ]; then
  # The benchmarks are built by scripts/bench.sh only (ATTN_BENCH=ON there), as under wasm.
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DATTN_SIMD=native -DATTN_BENCH=OFF >/dev/null
  cmake --build build/native -j"$jobs"
fi
if [ "$what" = wasm ] || [ "$what" = package ] || [ "$what" = all ]; then
  # The wasm benchmark harnesses are built by scripts/bench.sh only (ATTN_BENCH=ON there).
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release -DATTN_WASM_ALL_TESTS=ON -DATTN_BENCH=OFF \
    -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
  if [ "$what" = package ]; then
    cmake --build build/wasm -j"$jobs" --target attention_wasm attention_wasm_relaxed attention_wasm_threads attention_wasm_threads_relaxed attention_wasm_threads_web
  else
    cmake --build build/wasm -j"$jobs"
  fi
fi
