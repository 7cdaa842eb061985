# Sourced by scripts/build.sh and scripts/bench.sh before they call Emscripten.
# Emscripten 3.1.6's optimizer needs Debian's acorn on the module path.
export NODE_PATH=/usr/share/nodejs
# npm runs scripts with node_modules/.bin first on PATH, where the binaryen package (used by
# scripts/wasm-variants.mjs) puts its own wasm-opt & co.; Emscripten 3.1.6 then minifies the
# module's import names without renaming them in the JS glue (a glue that cannot load the module).
PATH=$(printf %s "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -)
export PATH
