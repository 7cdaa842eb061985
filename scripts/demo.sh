#!/usr/bin/env bash
# `npm run demo`: set up, build, and serve the demo page on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh package
exec node scripts/serve.mjs "${PORT:-8080}"
