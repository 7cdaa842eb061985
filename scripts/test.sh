#!/usr/bin/env bash
# `npm test`: set up what is missing, build both targets, run every test. Each stage prints its
# time when it ends, and a table of all of them closes the run (build time is a budget: CI must
# finish well under 20 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

stages=()
stage_start=$SECONDS
run_start=$SECONDS
stage() {  # stage NAME COMMAND...: runs the command as one timed stage
  local name=$1
  shift
  echo "== $name ($(date +%T))"
  stage_start=$SECONDS
  "$@"
  local took=$((SECONDS - stage_start))
  stages+=("$(printf '%4d s  %s' "$took" "$name")")
  echo "== $name: ${took} s"
}
summary() {
  echo "== stage times"
  printf '   %s\n' "${stages[@]}"
  echo "   total $((SECONDS - run_start)) s"
}
trap summary EXIT

stage "set-up (Debian and npm packages)" bash scripts/setup.sh
stage "native build" bash scripts/build.sh native
stage "wasm build (package and test suites)" bash scripts/build.sh wasm
stage "aarch64 (NEON) compile check of the kernels" bash scripts/check-aarch64.sh
stage "native C++ tests" ctest --test-dir build/native --output-on-failure -j"$(nproc)"
stage "wasm C++ tests (node)" ctest --test-dir build/wasm --output-on-failure -j"$(nproc)"

# The C++ suites again under AddressSanitizer + UndefinedBehaviorSanitizer, built with clang in
# the fuzzing tree (one sanitized compile of src/ serves the tests and the fuzzer; the core at -O1
# keeps the gradient checks fast, the test code itself is unoptimized: CMakeLists.txt), then a
# short fuzz run of loadModel and the Keras importer.
sanitized_build() {
  CXX=clang++ cmake -S . -B build/fuzz -DATTN_FUZZ=ON -DATTN_TESTS=ON -DATTN_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
  cmake --build build/fuzz -j"$(nproc)"
}
sanitized_tests() {
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/fuzz --output-on-failure -j"$(nproc)"
}
stage "sanitized build (clang, ASan + UBSan)" sanitized_build
stage "native C++ tests under ASan + UBSan" sanitized_tests
stage "fuzzing loadModel and the Keras importer, libFuzzer 30 s each, at once" bash scripts/fuzz.sh 30

# The thread pool and data-parallel training under ThreadSanitizer (clang; only the model suite,
# the one that trains on threads).
tsan_tests() {
  CXX=clang++ cmake -S . -B build/tsan -DATTN_TSAN=ON -DATTN_TESTS=ON -DATTN_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
  cmake --build build/tsan -j"$(nproc)" --target attn_tests_model
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build/tsan/attn_tests_model --gtest_filter='Parallel*:ThreadPool*'
}
stage "threaded training under ThreadSanitizer" tsan_tests

if compgen -G "tests/js/*.test.mjs" >/dev/null; then
  stage "JS package tests" node --test tests/js/
fi
if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  stage "browser end-to-end tests" node --test tests/e2e/
fi
