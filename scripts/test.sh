#!/usr/bin/env bash
# `npm test`: set up what is missing, build both targets, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh all

echo "== native C++ tests"
ctest --test-dir build/native --output-on-failure -j"$(nproc)"
echo "== wasm C++ tests (node)"
ctest --test-dir build/wasm --output-on-failure -j"$(nproc)"

# The whole C++ suite again under AddressSanitizer + UndefinedBehaviorSanitizer (-O1 keeps the
# build and the gradient checks fast enough for CI), then a short fuzz run of loadModel.
echo "== native C++ tests under ASan + UBSan"
cmake -S . -B build/asan -DATTN_SANITIZE=ON -DATTN_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build build/asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j"$(nproc)"
echo "== fuzzing loadModel (libFuzzer, 45 s)"
bash scripts/fuzz.sh 45

if compgen -G "tests/js/*.test.mjs" >/dev/null; then
  echo "== JS package tests"
  node --test tests/js/
fi
if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  echo "== browser end-to-end tests"
  node --test tests/e2e/
fi
