#!/usr/bin/env bash
# Fuzzes loadModel (tests/fuzz/fuzz_load_model.cpp) with libFuzzer under ASan + UBSan, starting
# from the committed seed corpus and every past crash. A crash leaves its input in
# build/fuzz/artifacts/ and fails this script: fix it, then add the input to tests/io/fuzz_crashes/.
# usage: scripts/fuzz.sh [seconds]   (default 45; CI runs the default, longer runs find more)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
if [ ! -f build/fuzz/CMakeCache.txt ]; then
  CXX=clang++ cmake -S . -B build/fuzz -DATTN_FUZZ=ON -DATTN_TESTS=OFF -DATTN_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
fi
cmake --build build/fuzz -j"$(nproc)" --target fuzz_load_model
# New inputs go to a scratch directory: the committed corpus stays small.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build/fuzz/artifacts
./build/fuzz/fuzz_load_model -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ "$work" tests/fuzz/corpus tests/io/fuzz_crashes \
  2> >(grep -v -E '^(#[0-9]+.*(NEW|REDUCE|pulse)|\s+NEW_FUNC)' >&2)
