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

if compgen -G "tests/js/*.test.mjs" >/dev/null; then
  echo "== JS package tests"
  node --test tests/js/
fi
if compgen -G "tests/e2e/*.test.mjs" >/dev/null; then
  echo "== browser end-to-end tests"
  node --test tests/e2e/
fi
