#!/usr/bin/env bash
# `npm run bench`: set up, build what the benchmarks need (native Release, native SSE width,
# wasm), run every benchmark on this machine in one go and write bench/results/latest.md and
# latest.json (raw outputs in bench/results/raw/). See bench/README.md.
#   BENCH_SKIP_BUILD=1   reuse the existing builds
#   BENCH_QUICK=1        one repetition of the native benchmarks, no browser runs
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emscripten-env.sh
jobs=2                               # the machines are shared: never more than 2 compile jobs
raw=bench/results/raw
mkdir -p "$raw"
rm -f "$raw"/*

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  bash scripts/setup.sh
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release -DATTN_SIMD=native -DATTN_BENCH=ON >/dev/null
  cmake --build build/native -j"$jobs" --target attn_bench attn_peak_flops
  cmake -S . -B build/sse -DCMAKE_BUILD_TYPE=Release -DATTN_SIMD=sse -DATTN_TESTS=OFF -DATTN_BENCH=ON >/dev/null
  cmake --build build/sse -j"$jobs" --target attn_bench
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release -DATTN_BENCH=ON -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
  cmake --build build/wasm -j"$jobs" --target attention_wasm attention_wasm_relaxed attention_wasm_threads attention_wasm_threads_relaxed attention_wasm_threads_web attn_wasm_gemm_bench attn_wasm_gemm_bench_relaxed attn_wasm_layer_bench
fi

reps=3
[ -n "${BENCH_QUICK:-}" ] && reps=1
load() { cut -d' ' -f1-3 /proc/loadavg; }
# The machine-wide CPU counters (/proc/stat "cpu" line: user nice system idle iowait irq softirq
# steal): the share of time the hypervisor gave to other guests ("steal") during the run says how
# much a shared VM disturbed the figures.
cpu_counters() { head -1 /proc/stat | cut -d' ' -f3-10; }
counters_before=$(cpu_counters)
start=$(date +%s)
node -e '
  const os = require("os");
  console.log(JSON.stringify({ date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), cpu: os.cpus()[0].model,
    cores: os.cpus().length, node: process.version, loadBefore: process.argv[1] }));' "$(load)" > "$raw/machine.json"

echo "== peak FLOP/s of one core"
build/native/attn_peak_flops | tee "$raw/peak.txt"

echo "== native benchmarks ($reps repetitions)"
build/native/attn_bench --benchmark_filter='BM_Gemm(NN|TN|NT)/|BM_[A-Za-z0-9]+/T:|BM_Model' \
  --benchmark_min_time=0.1 --benchmark_repetitions="$reps" \
  --benchmark_out="$raw/native.json" --benchmark_out_format=json --benchmark_display_aggregates_only=true
echo "== native benchmarks, SSE width"
build/sse/attn_bench --benchmark_filter='BM_Gemm(NN|TN|NT)/256|BM_Model' \
  --benchmark_min_time=0.2 --benchmark_repetitions="$reps" \
  --benchmark_out="$raw/native-sse.json" --benchmark_out_format=json --benchmark_display_aggregates_only=true

echo "== wasm GEMM (node, then node --no-liftoff)"
node build/wasm/attn_wasm_gemm_bench.cjs 0.3 | tee "$raw/wasm-gemm.txt"
node --no-liftoff build/wasm/attn_wasm_gemm_bench.cjs 0.3 | tee "$raw/wasm-gemm-noliftoff.txt"
echo "== wasm GEMM, relaxed SIMD (node with Node 20's flag)"
node --experimental-wasm-relaxed-simd build/wasm/attn_wasm_gemm_bench_relaxed.cjs 0.3 | tee "$raw/wasm-gemm-relaxed.txt"
echo "== wasm layers (the perf rows of tests/layer_cases.json)"
node build/wasm/attn_wasm_layer_bench.cjs 0.3 | tee "$raw/wasm-layers.txt"

echo "== models in Node: attention-wasm, TF.js wasm, TF.js cpu"
node bench/js/node.mjs ours "$raw/node-ours.json"
node --no-liftoff bench/js/node.mjs ours "$raw/node-ours-noliftoff.json"
BENCH_THREADS=2 node bench/js/node.mjs ours "$raw/node-ours-threads2.json"
# The relaxed-SIMD modules (Node 20 validates them behind a flag; init() then picks them).
node --experimental-wasm-relaxed-simd bench/js/node.mjs ours "$raw/node-ours-relaxed.json"
BENCH_THREADS=2 node --experimental-wasm-relaxed-simd bench/js/node.mjs ours "$raw/node-ours-relaxed-threads2.json"
node bench/js/node.mjs tfjs-wasm "$raw/node-tfjs-wasm.json"
# TF.js cpu trains the BiLSTM model at minutes per step (one step had not finished after 4 min
# of CPU time on the 2-vCPU benchmark machine): left out unless BENCH_TFJS_CPU_ALL=1.
tfjs_cpu_skip=${BENCH_TFJS_CPU_ALL:+none}
tfjs_cpu_skip=${tfjs_cpu_skip:-bilstm-additive-attention}
BENCH_SKIP=$tfjs_cpu_skip node bench/js/node.mjs tfjs-cpu "$raw/node-tfjs-cpu.json"
tfjs_cpu_trains=$(node -e 'const skip = process.argv[1].split(","); const m = require("./bench/models.json").models;
  console.log(m.filter((e) => e.task === "train" && !skip.includes(e.name)).map((e) => e.name).join(","))' "$tfjs_cpu_skip")

# Comparisons whose sides run minutes apart above are made once more in groups of short runs
# that follow each other, the order reversed in even groups: this VM's slow phases last minutes,
# longer than a group, so they move both sides of a group's ratio. The report takes the median
# of the groups' ratios.
groups=5
grouped() {  # <file prefix> <side>... ; run_<side> <output file> runs one side
  local prefix=$1 group side order
  shift
  for group in $(seq 1 "$groups"); do
    order=("$@")
    if [ $((group % 2)) -eq 0 ]; then order=(); for side in "$@"; do order=("$side" "${order[@]}"); done; fi
    for side in "${order[@]}"; do "run_$side" "$raw/$prefix-group$group-$side.json"; done
  done
}
# The sides: attention-wasm on one thread and on 2 (what init() picks on this machine), TF.js
# wasm and cpu, each in $runner (node.mjs or browser.mjs) on the models in $models (all if
# empty); native SSE on every model.
runner=node.mjs models=
run_ours() { BENCH_THREADS=1 BENCH_MODELS=$models node "bench/js/$runner" ours "$1"; }
run_ours-threads2() { BENCH_THREADS=2 BENCH_MODELS=$models node "bench/js/$runner" ours "$1"; }
run_tfjs-wasm() { BENCH_THREADS=1 BENCH_MODELS=$models node "bench/js/$runner" tfjs-wasm "$1"; }
run_tfjs-cpu() { BENCH_THREADS=1 BENCH_MODELS=$models node "bench/js/$runner" tfjs-cpu "$1"; }
run_native-sse() {
  build/sse/attn_bench --benchmark_filter='BM_Model(Train|Predict)/' --benchmark_min_time=0.2 \
    --benchmark_out="$1" --benchmark_out_format=json >/dev/null
}
predict_models=$(node -e 'const m = require("./bench/models.json").models; console.log(m.filter((e) => e.task === "predict").map((e) => e.name).join(","))')
echo "== inference in Node vs TF.js wasm, grouped processes ($groups groups)"
runner=node.mjs models=$predict_models grouped node-inference ours ours-threads2 tfjs-wasm
echo "== wasm in Node vs native SSE, grouped processes ($groups groups)"
runner=node.mjs models= grouped wasm-vs-sse ours native-sse

if [ -z "${BENCH_QUICK:-}" ]; then
  echo "== wasm GEMM in headless Chromium (SIMD128 and relaxed SIMD)"
  node bench/js/gemm-browser.mjs 0.3 "$raw/chromium-gemm.json"
  echo "== models in headless Chromium (relaxed SIMD, which Chromium validates, unless BENCH_RELAXED=0)"
  node bench/js/browser.mjs ours "$raw/chromium-ours.json"
  BENCH_RELAXED=0 node bench/js/browser.mjs ours "$raw/chromium-ours-simd128.json"
  BENCH_THREADS=2 node bench/js/browser.mjs ours "$raw/chromium-ours-threads2.json"
  BENCH_THREADS=2 BENCH_RELAXED=0 node bench/js/browser.mjs ours "$raw/chromium-ours-simd128-threads2.json"
  node bench/js/browser.mjs ours --no-liftoff "$raw/chromium-ours-noliftoff.json"
  node bench/js/browser.mjs tfjs-wasm "$raw/chromium-tfjs-wasm.json"
  BENCH_THREADS=2 node bench/js/browser.mjs tfjs-wasm "$raw/chromium-tfjs-wasm-threads2.json"
  # TF.js cpu runs on the page's one JS thread; the models left out are Node's.
  BENCH_SKIP=$tfjs_cpu_skip node bench/js/browser.mjs tfjs-cpu "$raw/chromium-tfjs-cpu.json"
  echo "== inference in Chromium vs TF.js wasm, grouped pages ($groups groups)"
  runner=browser.mjs models=$predict_models grouped chromium-inference ours ours-threads2 tfjs-wasm
  echo "== training in Chromium, 2 threads vs TF.js cpu, grouped pages ($groups groups)"
  runner=browser.mjs models=$tfjs_cpu_trains grouped chromium-vs-cpu ours-threads2 tfjs-cpu
fi

node -e '
  const fs = require("fs"); const f = process.argv[1]; const m = JSON.parse(fs.readFileSync(f));
  m.loadAfter = process.argv[2]; m.seconds = Number(process.argv[3]);
  const [before, after] = [process.argv[4], process.argv[5]].map((c) => c.trim().split(/\s+/).map(Number));
  const spent = after.map((v, i) => v - before[i]);
  const total = spent.reduce((a, b) => a + b, 0);
  m.stealPercent = total > 0 ? Math.round(1000 * spent[7] / total) / 10 : null;
  m.busyPercent = total > 0 ? Math.round(1000 * (total - spent[3] - spent[4]) / total) / 10 : null;
  fs.writeFileSync(f, JSON.stringify(m));' "$raw/machine.json" "$(load)" "$(( $(date +%s) - start ))" "$counters_before" "$(cpu_counters)"
build/native/attn_peak_flops >> "$raw/peak.txt"  # again at the end: the report keeps the higher figures
node bench/js/report.mjs "$raw" bench/results
echo "bench: $(( $(date +%s) - start )) s; wrote bench/results/latest.md and latest.json"
