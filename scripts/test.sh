#!/usr/bin/env bash
# `npm test`: set up what is missing, build both targets, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh all

echo "== native C++ tests ($(date +%T))"
ctest --test-dir build/native --output-on-failure -j"$(nproc)"
echo "== wasm C++ tests (node) ($(date +%T))"
ctest --test-dir build/wasm --output-on-failure -j"$(nproc)"

# The C++ suites again under AddressSanitizer + UndefinedBehaviorSanitizer, built with clang in
# the fuzzing tree (one sanitized compile of src/ serves the tests and the fuzzer; -O1 keeps the
# gradient checks fast), then a short fuzz run of loadModel.
echo "== native C++ tests under ASan + UBSan, clang ($(date +%T))"
CXX=clang++ cmake -S . -B build/fuzz -DATTN_FUZZ=ON -DATTN_TESTS=ON -DATTN_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build build/fuzz -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/fuzz --output-on-failure -j"$(nproc)"
echo "== fuzzing loadModel, libFuzzer 45 s ($(date +%T))"
bash scripts/fuzz.sh 45

if compgen -G "tests/js/*.test.mjs" >/dev/null; then
  echo "== JS package tests ($(date +%T))"
  node --test tests/js/
fi
if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  echo "== browser end-to-end tests ($(date +%T))"
  node --test tests/e2e/
fi
