#!/usr/bin/env bash
# Fuzzes the parsers of untrusted bytes with libFuzzer under ASan + UBSan, both at once (one
# core each): loadModel (tests/fuzz/fuzz_load_model.cpp) from the committed seed corpus and every
# past crash, and the Keras importer's config translation (tests/fuzz/fuzz_keras_import.cpp) from
# tests/fuzz/keras_corpus. A crash leaves its input in build/fuzz/artifacts/ and fails this
# script: fix it, then add the input to tests/io/fuzz_crashes/ (loadModel) or the corpus.
# usage: scripts/fuzz.sh [seconds]   (each fuzzer's time, default 30; CI runs the default, longer
# runs find more)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
if [ ! -f build/fuzz/CMakeCache.txt ]; then
  CXX=clang++ cmake -S . -B build/fuzz -DATTN_FUZZ=ON -DATTN_TESTS=OFF -DATTN_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
fi
cmake --build build/fuzz -j"$(nproc)" --target fuzz_load_model fuzz_keras_import
mkdir -p build/fuzz/artifacts
fuzz() {  # fuzz TARGET SECONDS MAX_LEN SEED_DIRS...: new inputs go to a scratch directory
  local target=$1 time=$2 maxLen=$3
  shift 3
  local work
  work=$(mktemp -d)
  ./build/fuzz/"$target" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -max_len="$maxLen" \
    -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ "$work" "$@" \
    2> >(grep -v -E '^(#[0-9]+.*(NEW|REDUCE|pulse)|\s+NEW_FUNC)' | sed -u "s/^/[$target] /" >&2)
  rm -rf "$work"
}
fuzz fuzz_load_model "$seconds" 16384 tests/fuzz/corpus tests/io/fuzz_crashes &
load_model=$!
fuzz fuzz_keras_import "$seconds" 16384 tests/fuzz/keras_corpus &
keras_import=$!
failed=0
wait "$load_model" || failed=1
wait "$keras_import" || failed=1
exit "$failed"
