// Gathers one benchmark run (scripts/bench.sh) into bench/results/latest.json and latest.md:
//   node bench/js/report.mjs <raw dir> <out dir>
// The raw dir holds native.json / native-sse.json (Google Benchmark JSON), peak.txt,
// wasm-gemm*.txt (the wasm GEMM harness' output), machine.json and the JS runs' JSON files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [rawDir = 'bench/results/raw', outDir = 'bench/results'] = process.argv.slice(2);
const readJson = (name) => (existsSync(join(rawDir, name)) ? JSON.parse(readFileSync(join(rawDir, name), 'utf8')) : null);
const readText = (name) => (existsSync(join(rawDir, name)) ? readFileSync(join(rawDir, name), 'utf8') : null);

const machine = readJson('machine.json') ?? {};
const models = JSON.parse(readFileSync(new URL('../models.json', import.meta.url), 'utf8'));

// ---- native (Google Benchmark JSON, several repetitions) -------------------------------------
// Per benchmark: best and mean over the repetitions of the per-iteration time (ms), plus counters.
function googleBenchmark(json) {
  if (!json) return null;
  const out = {};
  for (const b of json.benchmarks) {
    if (b.run_type !== 'iteration' || b.error_occurred) continue;
    const name = b.run_name ?? b.name;
    const scale = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 }[b.time_unit ?? 'ns'];
    const entry = (out[name] ??= { times: [], cpuTimes: [], gflops: [], gflopsBest: [] });
    entry.times.push(b.real_time * scale);
    entry.cpuTimes.push(b.cpu_time * scale);
    // Google Benchmark writes rate counters in units (FLOP/s), the plain counter in GFLOP/s.
    if (b.GFLOPs !== undefined) entry.gflops.push(b.GFLOPs / 1e9);
    if (b.GFLOPs_best !== undefined) entry.gflopsBest.push(b.GFLOPs_best);
    entry.label = b.label;
  }
  for (const e of Object.values(out)) {
    e.bestMs = Math.min(...e.times);
    e.meanMs = e.times.reduce((a, b) => a + b, 0) / e.times.length;
    e.bestCpuMs = Math.min(...e.cpuTimes);
    if (e.gflops.length) e.gflopsMean = e.gflops.reduce((a, b) => a + b, 0) / e.gflops.length;
    if (e.gflopsBest.length) e.gflopsBestOf = Math.max(...e.gflopsBest);
  }
  return { context: json.context, results: out };
}
const native = googleBenchmark(readJson('native.json'));
const nativeSse = googleBenchmark(readJson('native-sse.json'));

// ---- peak and wasm GEMM ------------------------------------------------------------------------
function peak(text) {
  if (!text) return {};
  const out = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^(.*?)\s+([\d.]+) (GFLOP\/s|GHz)$/);
    if (!m) continue;
    const key = line.startsWith('clock') ? 'clockGHz' : line.startsWith('avx512') ? 'avx512'
      : line.startsWith('avx2') ? 'avx2' : line.includes('no FMA') ? 'sseMulAdd' : line.startsWith('sse width') ? 'sseFma' : null;
    // peak.txt holds several runs (start and end of the benchmark): the highest is the one
    // other processes disturbed least.
    if (key) out[key] = Math.max(out[key] ?? 0, Number(m[2]));
  }
  return out;
}
const peaks = peak(readText('peak.txt'));
function wasmGemm(name) {
  const text = readText(name);
  if (!text) return null;
  const line = text.split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : null;
}
const chromiumGemm = readJson('chromium-gemm.json');
const wasmGemmRuns = { node: wasmGemm('wasm-gemm.txt'), nodeNoLiftoff: wasmGemm('wasm-gemm-noliftoff.txt'),
                       nodeRelaxed: wasmGemm('wasm-gemm-relaxed.txt'),
                       chromium: chromiumGemm?.simd128 ?? null, chromiumRelaxed: chromiumGemm?.relaxed ?? null };

// ---- JS runs ----------------------------------------------------------------------------------
const runs = {
  ours: readJson('node-ours.json'),
  oursNoLiftoff: readJson('node-ours-noliftoff.json'),
  oursThreads2: readJson('node-ours-threads2.json'),
  oursRelaxed: readJson('node-ours-relaxed.json'),
  oursRelaxedThreads2: readJson('node-ours-relaxed-threads2.json'),
  chromiumSimd128: readJson('chromium-ours-simd128.json'),
  chromiumSimd128Threads2: readJson('chromium-ours-simd128-threads2.json'),
  chromiumThreads2: readJson('chromium-ours-threads2.json'),
  chromium: readJson('chromium-ours.json'),
  chromiumNoLiftoff: readJson('chromium-ours-noliftoff.json'),
  tfjsWasm: readJson('node-tfjs-wasm.json'),
  tfjsCpu: readJson('node-tfjs-cpu.json'),
  chromiumTfjsWasm: readJson('chromium-tfjs-wasm.json'),
  chromiumTfjsWasmThreads2: readJson('chromium-tfjs-wasm-threads2.json'),
  chromiumTfjsCpu: readJson('chromium-tfjs-cpu.json'),
};
// Training on one thread of the threaded modules, interleaved with their 2-thread runs
// (bench/js/common.mjs benchOursThreads): the "same build" side of the 2-thread speed-ups.
const oneThreadOf = { oursThreads2: 'oursThreads2At1', oursRelaxedThreads2: 'oursRelaxedThreads2At1',
                      chromiumThreads2: 'chromiumThreads2At1', chromiumSimd128Threads2: 'chromiumSimd128Threads2At1' };
for (const [two, one] of Object.entries(oneThreadOf)) runs[one] = runs[two]?.oneThread ? { ...runs[two], results: runs[two].oneThread } : null;

const modelKeys = models.models.map((m) => m.name);
const nativeName = (key) => {
  const entry = models.models.find((m) => m.name === key);
  return entry.task === 'predict' ? `BM_ModelPredict/${entry.same}` : `BM_ModelTrain/${key}`;
};
// BM_ModelTrainThreads2/<model>/real_time, BM_ModelPredictThreads2/<model>/real_time
const nativeThreads2Name = (key) => `${nativeName(key).replace(/^BM_Model(Train|Predict)/, 'BM_Model$1Threads2')}/real_time`;
const rows = modelKeys.map((key) => {
  const entry = models.models.find((m) => m.name === key);
  const js = (run) => run?.results?.[key] ?? null;
  const row = {
    model: key, task: entry.task, batch: models.batchSize,
    params: js(runs.ours)?.params ?? null,
    nativeMs: native?.results[nativeName(key)]?.bestMs ?? null,
    nativeMeanMs: native?.results[nativeName(key)]?.meanMs ?? null,
    nativeSseMs: nativeSse?.results[nativeName(key)]?.bestMs ?? null,
    nativeSseMeanMs: nativeSse?.results[nativeName(key)]?.meanMs ?? null,
    nativeCpuMs: native?.results[nativeName(key)]?.bestCpuMs ?? null,
    // Data-parallel training and predict on 2 threads (wall-clock).
    nativeThreads2Ms: native?.results[nativeThreads2Name(key)]?.bestMs ?? null,
    nativeSseThreads2Ms: nativeSse?.results[nativeThreads2Name(key)]?.bestMs ?? null,
    nativeSseCpuMs: nativeSse?.results[nativeName(key)]?.bestCpuMs ?? null,
  };
  row.skipped = Object.entries(runs).filter(([, run]) => run?.skipped?.includes(key)).map(([name]) => name);
  for (const [name, run] of Object.entries(runs)) {
    const r = js(run);
    row[`${name}Ms`] = r?.medianMs ?? null;
    row[`${name}MeanMs`] = r?.meanMs ?? null;
    row[`${name}BestMs`] = r?.bestMs ?? null;
    row[`${name}Runs`] = r?.runs ?? null;
    row[`${name}CpuMs`] = r?.cpuMs ?? null;
    // A 2-thread run's speed-up over one thread of the same module (bench/js/common.mjs
    // pairedSpeedup).
    row[`${name}SpeedupVsOneThread`] = r?.speedupVsOneThread ?? null;
  }
  const ratio = (a, b) => (a && b ? a / b : null);
  row.samplesPerSec = row.oursMs ? models.batchSize / (row.oursMs / 1000) : null;
  row.speedupVsTfjsWasm = ratio(row.tfjsWasmMs, row.oursMs);
  row.speedupVsTfjsCpu = ratio(row.tfjsCpuMs, row.oursMs);
  row.chromiumSpeedupVsTfjsWasm = ratio(row.chromiumTfjsWasmMs, row.chromiumMs);
  row.chromiumThreads2SpeedupVsTfjsWasmThreads2 = ratio(row.chromiumTfjsWasmThreads2Ms, row.chromiumThreads2Ms);
  row.chromiumThreads2SpeedupVsTfjsCpu = ratio(row.chromiumTfjsCpuMs, row.chromiumThreads2Ms);
  row.wasmOverNative = ratio(row.oursMs, row.nativeMs);
  row.wasmOverNativeSse = ratio(row.oursMs, row.nativeSseMs);
  // The same ratios on CPU time (Node's process.cpuUsage, Google Benchmark's cpu_time), which
  // other processes on a shared machine disturb far less than wall-clock time.
  row.cpu = {
    speedupVsTfjsWasm: ratio(row.tfjsWasmCpuMs, row.oursCpuMs),
    speedupVsTfjsCpu: ratio(row.tfjsCpuCpuMs, row.oursCpuMs),
    wasmOverNative: ratio(row.oursCpuMs, row.nativeCpuMs),
    wasmOverNativeSse: ratio(row.oursCpuMs, row.nativeSseCpuMs),
  };
  return row;
});

// ---- grouped comparisons (scripts/bench.sh grouped) ------------------------------------------------
// Group i of a comparison holds one run of each side, back to back; its ratio is one side's
// figure over the other's (the JS runs' median, native SSE's time per step). The figure is the
// median of the groups' ratios, with the medians of each side's figures.
const medianOf = (values) => {
  const v = [...values].sort((a, b) => a - b), mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const msIn = (json, key) => (json?.benchmarks ? googleBenchmark(json).results[nativeName(key)]?.bestMs : json?.results?.[key]?.medianMs);
function groupedRatio(prefix, numerator, denominator, key) {
  const ratios = [], top = [], bottom = [];
  for (let group = 1; ; ++group) {
    const a = readJson(`${prefix}-group${group}-${numerator}.json`), b = readJson(`${prefix}-group${group}-${denominator}.json`);
    if (!a || !b) break;
    const aMs = msIn(a, key), bMs = msIn(b, key);
    if (!aMs || !bMs) continue;
    top.push(aMs);
    bottom.push(bMs);
    ratios.push(aMs / bMs);
  }
  return ratios.length ? { ratios, ratio: medianOf(ratios), numeratorMs: medianOf(top), denominatorMs: medianOf(bottom) } : null;
}
for (const r of rows) {
  if (r.task === 'predict') {
    r.groupedNode = groupedRatio('node-inference', 'tfjs-wasm', 'ours', r.model);
    r.groupedChromium = groupedRatio('chromium-inference', 'tfjs-wasm', 'ours', r.model);
    r.groupedNodeThreads2 = groupedRatio('node-inference', 'tfjs-wasm', 'ours-threads2', r.model);
    r.groupedChromiumThreads2 = groupedRatio('chromium-inference', 'tfjs-wasm', 'ours-threads2', r.model);
  }
  r.groupedWasmOverSse = groupedRatio('wasm-vs-sse', 'ours', 'native-sse', r.model);
  r.groupedChromiumThreads2VsCpu = groupedRatio('chromium-vs-cpu', 'tfjs-cpu', 'ours-threads2', r.model);
}

// ---- GEMM table ----------------------------------------------------------------------------------
const gemmRows = [];
for (const variant of ['NN', 'TN', 'NT']) {
  for (const n of [64, 128, 256, 512]) {
    const nat = native?.results[`BM_Gemm${variant}/${n}`];
    const sse = nativeSse?.results[`BM_Gemm${variant}/${n}`];
    const w = wasmGemmRuns.node?.gemm_gflops.find((g) => g.variant === variant && g.n === n);
    const wn = wasmGemmRuns.nodeNoLiftoff?.gemm_gflops.find((g) => g.variant === variant && g.n === n);
    const of = (run) => wasmGemmRuns[run]?.gemm_gflops.find((g) => g.variant === variant && g.n === n) ?? null;
    gemmRows.push({ variant, n, native: nat?.gflopsBestOf ?? null, nativeMean: nat?.gflopsMean ?? null,
                    nativeSse: sse?.gflopsBestOf ?? null, nativeSseMean: sse?.gflopsMean ?? null,
                    wasm: w?.gflops_best ?? null, wasmMean: w?.gflops_mean ?? null,
                    wasmNoLiftoff: wn?.gflops_best ?? null, wasmNoLiftoffMean: wn?.gflops_mean ?? null,
                    wasmRelaxed: of('nodeRelaxed')?.gflops_best ?? null, wasmRelaxedMean: of('nodeRelaxed')?.gflops_mean ?? null,
                    chromium: of('chromium')?.gflops_best ?? null, chromiumMean: of('chromium')?.gflops_mean ?? null,
                    chromiumRelaxed: of('chromiumRelaxed')?.gflops_best ?? null, chromiumRelaxedMean: of('chromiumRelaxed')?.gflops_mean ?? null });
  }
}
const nativeArch = native?.context?.simd_architecture ?? '?';
const widestPeak = nativeArch.startsWith('avx512') ? peaks.avx512 : nativeArch.includes('avx') || nativeArch.includes('fma') ? peaks.avx2 : peaks.sseMulAdd;

// ---- targets ---------------------------------------------------------------------------------------
// A 2-thread run's speed-up over one thread of the same module (paired over its interleaved
// rounds: bench/js/common.mjs pairedSpeedup).
const threadSpeedup = (r, two) => r[`${two}SpeedupVsOneThread`];
// The rounds those runs interleaved, as they recorded them.
const threadRounds = Object.values(runs.oursThreads2?.results ?? runs.chromiumThreads2?.results ?? {})[0]?.rounds ?? '?';
const trainRows = rows.filter((r) => r.task === 'train');
const predictRows = rows.filter((r) => r.task === 'predict');
const all = (list, f) => list.length > 0 && list.every((r) => f(r) !== null && f(r) !== undefined) ? list.every((r) => f(r)) : null;
const gemm256 = gemmRows.filter((g) => g.n === 256);
const nativeGemmBest = Math.max(...gemmRows.filter((g) => g.n >= 256).map((g) => g.native ?? 0));
const targets = [
  { target: 'training, wasm in Node >= 10x faster than TF.js wasm on every model',
    met: all(trainRows, (r) => r.speedupVsTfjsWasm && r.speedupVsTfjsWasm >= 10),
    detail: trainRows.map((r) => `${r.model} ${fx(r.speedupVsTfjsWasm)}x (cpu ${fx(r.cpu.speedupVsTfjsWasm)}x)`).join(', ') },
  { target: 'training, wasm in Node >= 100x faster than TF.js cpu on every model',
    met: all(trainRows.filter((r) => !r.skipped.includes('tfjsCpu')), (r) => r.speedupVsTfjsCpu && r.speedupVsTfjsCpu >= 100),
    detail: trainRows.map((r) => (r.skipped.includes('tfjsCpu') ? `${r.model} skipped (TF.js cpu: minutes per step)`
      : `${r.model} ${fx(r.speedupVsTfjsCpu)}x (cpu ${fx(r.cpu.speedupVsTfjsCpu)}x)`)).join(', ') },
  { target: 'inference >= 5x faster than TF.js wasm, one thread each, in Node and in Chromium (grouped processes)',
    met: all(predictRows, (r) => r.groupedNode && r.groupedChromium && r.groupedNode.ratio >= 5 && r.groupedChromium.ratio >= 5),
    detail: predictRows.map((r) => `${r.model}: Node ${fx(r.groupedNode?.ratio)}x, Chromium ${fx(r.groupedChromium?.ratio)}x ` +
      `(medians of ${r.groupedNode?.ratios.length ?? 0} and ${r.groupedChromium?.ratios.length ?? 0} groups; the single runs above: ` +
      `Node ${fx(r.speedupVsTfjsWasm)}x, cpu ${fx(r.cpu.speedupVsTfjsWasm)}x, Chromium ${fx(r.chromiumSpeedupVsTfjsWasm)}x)`).join(', ') },
  { target: 'wasm GEMM >= 35 GFLOP/s at n=256, NN, TN and NT (Node, best round)',
    met: gemm256.every((g) => g.wasm !== null) ? gemm256.every((g) => g.wasm >= 35) : null,
    detail: gemm256.map((g) => `${g.variant} ${fx(g.wasm)} (no-liftoff ${fx(g.wasmNoLiftoff)})`).join(', ') },
  { target: 'FMA: wasm GEMM in Chromium at n=256, relaxed SIMD >= 1.4x the SIMD128 (mul + add) build, NN, TN and NT',
    met: gemm256.every((g) => g.chromium && g.chromiumRelaxed) ? gemm256.every((g) => g.chromiumRelaxed >= 1.4 * g.chromium) : null,
    detail: gemm256.map((g) => `${g.variant} ${fx(g.chromiumRelaxed)} / ${fx(g.chromium)} = ${g.chromium && g.chromiumRelaxed ? fx(g.chromiumRelaxed / g.chromium) : '–'}x` +
      ` (Node ${g.wasm && g.wasmRelaxed ? fx(g.wasmRelaxed / g.wasm) : '–'}x)`).join(', ') +
      // What any FMA kernel could gain on this core: its 128-bit FMA peak over its mul + add peak.
      `; this core's 4-lane FMA peak / mul + add peak: ${fx(peaks.sseFma)} / ${fx(peaks.sseMulAdd)} = ` +
      `${peaks.sseFma && peaks.sseMulAdd ? fx(peaks.sseFma / peaks.sseMulAdd) : '–'}x` },
  ...['oursThreads2', 'chromiumThreads2'].map((two) => {
    const one = oneThreadOf[two];
    const need = (r) => (/T20/.test(r.model) ? 1.4 : 1.7);
    const shown = trainRows.filter((r) => r.model !== 'dense-attention');
    return { target: `training on 2 threads vs 1 thread of the same module, wasm in ${two === 'oursThreads2' ? 'Node (SIMD128)' : 'Chromium (relaxed SIMD)'}: >= 1.7x on lstm-attention-T100 and bilstm-additive-attention, >= 1.4x on lstm-attention-T20`,
      met: all(shown, (r) => threadSpeedup(r, two) && threadSpeedup(r, two) >= need(r)),
      detail: shown.map((r) => `${r.model} ${fx(threadSpeedup(r, two))}x`).join(', ') +
        ` (vs the single-threaded module: ${shown.map((r) => {
          const single = two === 'oursThreads2' ? r.oursMs : r.chromiumMs;
          return single && r[`${two}Ms`] ? `${fx(single / r[`${two}Ms`])}x` : '–';
        }).join(', ')})` };
  }),
  { target: 'training in Chromium on 2 threads >= 20x TF.js\' threaded-SIMD wasm build on 2 threads (setThreadsCount, page cross-origin isolated)',
    met: runs.chromiumTfjsWasmThreads2?.threads === 2 ? all(trainRows, (r) => r.chromiumThreads2SpeedupVsTfjsWasmThreads2 && r.chromiumThreads2SpeedupVsTfjsWasmThreads2 >= 20) : null,
    detail: `TF.js threads: ${runs.chromiumTfjsWasmThreads2?.threads ?? '–'}; ` +
      trainRows.map((r) => `${r.model} ${fx(r.chromiumThreads2SpeedupVsTfjsWasmThreads2)}x`).join(', ') },
  { target: 'training in Chromium on 2 threads >= 100x TF.js cpu in Chromium on every model it can train (grouped pages)',
    met: all(trainRows.filter((r) => !r.skipped.includes('chromiumTfjsCpu')), (r) => r.groupedChromiumThreads2VsCpu && r.groupedChromiumThreads2VsCpu.ratio >= 100),
    detail: trainRows.map((r) => (r.skipped.includes('chromiumTfjsCpu') ? `${r.model} skipped (TF.js cpu: minutes per step)`
      : `${r.model} ${fx(r.groupedChromiumThreads2VsCpu?.ratio)}x (single runs ${fx(r.chromiumThreads2SpeedupVsTfjsCpu)}x)`)).join(', ') },
  { target: `native widest GEMM (${nativeArch}) >= 60% of one core's peak`,
    met: widestPeak ? nativeGemmBest >= 0.6 * widestPeak : null,
    detail: `best ${fx(nativeGemmBest)} GFLOP/s of ${fx(widestPeak)} peak = ${widestPeak ? fx(100 * nativeGemmBest / widestPeak) : '?'}%` },
  { target: 'wasm (Node) within 1.3x of native SSE on every model (grouped processes)',
    met: all(rows, (r) => r.groupedWasmOverSse && r.groupedWasmOverSse.ratio <= 1.3),
    detail: rows.map((r) => `${r.model} ${fx(r.groupedWasmOverSse?.ratio)}x (single runs ${fx(r.wasmOverNativeSse)}x, cpu ${fx(r.cpu.wasmOverNativeSse)}x)`).join(', ') },
];

const groupRatios = (p) => (p ? p.ratios.map((x) => fx(x)).join(', ') : '–');
function fx(v, digits) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (digits !== undefined) return v.toFixed(digits);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

// ---- layers: the `perf` rows of tests/layer_cases.json, native (Google Benchmark) and wasm (the
// wasm layer harness' JSON lines), keyed "BM_<name>/T:<steps>/backward:<0|1>"
function layerFigures() {
  const out = {};
  const isLayer = (k) => /^BM_\w+\/T:\d+\/backward:\d$/.test(k);
  for (const [k, v] of Object.entries(native?.results ?? {})) {
    if (isLayer(k)) out[k] = { bestMs: v.bestMs, meanMs: v.meanMs, label: v.label };
  }
  for (const line of (readText('wasm-layers.txt') ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    const { name, ms } = JSON.parse(line);
    if (isLayer(name)) (out[name] ??= {}).wasmMs = ms;
  }
  return out;
}

// ---- write ---------------------------------------------------------------------------------------
const result = { date: machine.date, machine, nativeSimd: nativeArch, nativeSseSimd: nativeSse?.context?.simd_architecture,
                 peaks, models: rows, gemm: gemmRows, targets,
                 layers: layerFigures(),
                 runs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v && { impl: v.impl, flags: v.flags, backend: v.backend, threads: v.threads, node: v.node, browser: v.browserVersion, tfjs: v.tfjsVersion, unsortedSegmentSumRegistered: v.unsortedSegmentSumRegistered }])) };
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(result, null, 1) + '\n');

const md = [];
md.push(`# Benchmark results`, '');
md.push(`${machine.date ?? ''} · ${machine.cpu ?? '?'} · ${machine.cores ?? '?'} cores · Node ${machine.node ?? '?'} · ` +
        `Chromium ${runs.chromium?.browserVersion ?? '–'} · TF.js ${runs.tfjsWasm?.tfjsVersion ?? runs.tfjsCpu?.tfjsVersion ?? '–'} · ` +
        `load average ${machine.loadBefore ?? '?'} before, ${machine.loadAfter ?? '?'} after the run` +
        (machine.stealPercent !== undefined ? ` · CPU time stolen by the hypervisor during the run: ${machine.stealPercent}% (busy ${machine.busyPercent}%)` : ''));
md.push('', `Batch ${models.batchSize}, Adam 1e-3, float32, one thread except in the 2-thread tables (TF.js wasm in Node: ${runs.tfjsWasm?.threads ?? '?'} thread${runs.tfjsWasm?.threads === 1 ? '' : 's'}). ` +
        `JS figures: median ms per batch after warm-up (V8 tiering); native: best of ${native ? 3 : '?'} Google Benchmark repetitions (mean in latest.json). ` +
        `Native: ${nativeArch}; native SSE: ${nativeSse?.context?.simd_architecture ?? '–'}; wasm: SIMD128 (xsimd's sse4.1 path). ` +
        `TF.js' wasm backend gets a small UnsortedSegmentSum kernel registered by the benchmark (it has none; an Embedding cannot train without it).`, '');
md.push('## ms per batch', '');
md.push('One thread in every column (the 2-thread and relaxed-SIMD tables follow). wasm Node: the SIMD128 module (Node 20 runs relaxed SIMD only behind a flag); wasm Chromium: the relaxed-SIMD module, which Chromium picks.', '');
md.push('| model | task | params | native, 1T | native SSE, 1T | wasm Node SIMD128, 1T | wasm Node --no-liftoff, 1T | wasm Chromium relaxed, 1T | Chromium --no-liftoff, 1T | TF.js wasm (Node), 1T | TF.js cpu (Node), 1T | TF.js wasm (Chromium), 1T |');
md.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const cell = (name) => (r.skipped.includes(name) ? 'skipped' : fx(r[`${name}Ms`]));
  md.push(`| ${r.model} | ${r.task} | ${r.params ?? '–'} | ${fx(r.nativeMs)} | ${fx(r.nativeSseMs)} | **${fx(r.oursMs)}** | ${cell('oursNoLiftoff')} | ${cell('chromium')} | ${cell('chromiumNoLiftoff')} | ${cell('tfjsWasm')} | ${cell('tfjsCpu')} | ${cell('chromiumTfjsWasm')} |`);
}
md.push('', '## 2 threads vs 1 (data-parallel shards; wall-clock ms per batch: native best repetition, Node and Chromium median)', '');
md.push(`wasm Node: SIMD128 modules; Chromium: relaxed-SIMD modules. "1 (same)" is the threaded module set to one thread (aw.setThreads(1)), timed in ${threadRounds} rounds interleaved with its 2-thread runs on the same model; "speed-up vs same" is the median over those rounds of each round's ratio (a slow phase of the shared machine then moves both sides of a ratio), the ms columns the medians over all rounds' steps; "1 (single)" is the single-threaded module, timed in its own run.`, '');
md.push('| model | native, 1 thread | native, 2 threads | speed-up | native SSE, 1 | native SSE, 2 | speed-up | wasm Node, 1 (single) | wasm Node, 1 (same) | wasm Node, 2 | speed-up vs same | Chromium, 1 (single) | Chromium, 1 (same) | Chromium, 2 | speed-up vs same |');
md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const up = (one, two) => (one && two ? `${fx(one / two)}x` : '–');
  const paired = (two) => (threadSpeedup(r, two) ? `${fx(threadSpeedup(r, two))}x` : '–');
  md.push(`| ${r.model} | ${fx(r.nativeMs)} | ${fx(r.nativeThreads2Ms)} | ${up(r.nativeMs, r.nativeThreads2Ms)} | ${fx(r.nativeSseMs)} | ${fx(r.nativeSseThreads2Ms)} | ${up(r.nativeSseMs, r.nativeSseThreads2Ms)} | ${fx(r.oursMs)} | ${fx(r.oursThreads2At1Ms)} | ${fx(r.oursThreads2Ms)} | ${paired('oursThreads2')} | ${fx(r.chromiumMs)} | ${fx(r.chromiumThreads2At1Ms)} | ${fx(r.chromiumThreads2Ms)} | ${paired('chromiumThreads2')} |`);
}
md.push('', '## Training in Chromium on 2 threads: attention-wasm vs TF.js\' threaded-SIMD wasm build and TF.js cpu (wall-clock ms per batch)', '');
md.push(`Both on a cross-origin isolated page. TF.js caps its pool at navigator.hardwareConcurrency / 2, so its page reports 4 cores to run on 2 threads (TF.js threads reported: ${runs.chromiumTfjsWasmThreads2?.threads ?? '–'}).`, '');
md.push('TF.js cpu runs on the page\'s one JavaScript thread.', '');
md.push('| model | attention-wasm relaxed, 2T | TF.js wasm threaded-SIMD, 2T | speed-up | TF.js wasm, 1T | TF.js cpu | speed-up vs cpu |');
md.push('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const cpu = r.skipped.includes('chromiumTfjsCpu') ? 'skipped' : fx(r.chromiumTfjsCpuMs);
  md.push(`| ${r.model} | ${fx(r.chromiumThreads2Ms)} | ${fx(r.chromiumTfjsWasmThreads2Ms)} | ${fx(r.chromiumThreads2SpeedupVsTfjsWasmThreads2)}x | ${fx(r.chromiumTfjsWasmMs)} | ${cpu} | ${r.chromiumThreads2SpeedupVsTfjsCpu ? `${fx(r.chromiumThreads2SpeedupVsTfjsCpu)}x` : '–'} |`);
}
md.push('', '## Relaxed SIMD (FMA) vs SIMD128 (mul + add), wall-clock ms per batch', '');
md.push('Node 20 runs the relaxed-SIMD module with --experimental-wasm-relaxed-simd; Chromium validates it and picks it by default (SIMD128 with init({ relaxedSimd: false })).', '');
md.push('| model | Node SIMD128, 1T | Node relaxed, 1T | gain | Node SIMD128, 2T | Node relaxed, 2T | gain | Chromium SIMD128, 1T | Chromium relaxed, 1T | gain | Chromium SIMD128, 2T | Chromium relaxed, 2T | gain |');
md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const up = (plain, fused) => (plain && fused ? `${fx(plain / fused)}x` : '–');
  md.push(`| ${r.model} | ${fx(r.oursMs)} | ${fx(r.oursRelaxedMs)} | ${up(r.oursMs, r.oursRelaxedMs)} | ${fx(r.oursThreads2Ms)} | ${fx(r.oursRelaxedThreads2Ms)} | ${up(r.oursThreads2Ms, r.oursRelaxedThreads2Ms)} | ${fx(r.chromiumSimd128Ms)} | ${fx(r.chromiumMs)} | ${up(r.chromiumSimd128Ms, r.chromiumMs)} | ${fx(r.chromiumSimd128Threads2Ms)} | ${fx(r.chromiumThreads2Ms)} | ${up(r.chromiumSimd128Threads2Ms, r.chromiumThreads2Ms)} |`);
}
md.push('', '## CPU ms per batch (Node: process.cpuUsage over the timed steps; native: cpu_time, best repetition)', '');
md.push('| model | native | native SSE | wasm Node | wasm Node --no-liftoff | TF.js wasm (Node) | TF.js cpu (Node) |');
md.push('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  md.push(`| ${r.model} | ${fx(r.nativeCpuMs)} | ${fx(r.nativeSseCpuMs)} | **${fx(r.oursCpuMs)}** | ${fx(r.oursNoLiftoffCpuMs)} | ${fx(r.tfjsWasmCpuMs)} | ${r.skipped.includes('tfjsCpu') ? 'skipped' : fx(r.tfjsCpuCpuMs)} |`);
}
md.push('', '## Throughput and ratios (wasm = attention-wasm in Node; wall-clock, CPU-time ratio in parentheses)', '');
md.push('| model | samples/s (wasm Node) | vs TF.js wasm | vs TF.js cpu | Chromium: vs TF.js wasm | wasm / native | wasm / native SSE |');
md.push('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  md.push(`| ${r.model} | ${fx(r.samplesPerSec, 0)} | ${fx(r.speedupVsTfjsWasm)}x (${fx(r.cpu.speedupVsTfjsWasm)}x) | ${fx(r.speedupVsTfjsCpu)}x (${fx(r.cpu.speedupVsTfjsCpu)}x) | ${fx(r.chromiumSpeedupVsTfjsWasm)}x | ${fx(r.wasmOverNative)} (${fx(r.cpu.wasmOverNative)}) | ${fx(r.wasmOverNativeSse)} (${fx(r.cpu.wasmOverNativeSse)}) |`);
}
md.push('', '## Inference vs TF.js wasm in grouped processes (wall-clock)', '');
md.push('The runs above are minutes apart, and a slow phase of the shared machine can fall on either library. Here predict-only processes (Node) or pages (Chromium) of attention-wasm and TF.js wasm follow each other in groups, ours first in odd groups and TF.js first in even ones; a group\'s ratio is TF.js\' median over ours, and the speed-up is the median of the groups\' ratios. Chromium runs the relaxed-SIMD module, Node the SIMD128 one.', '');
md.push('Each group also runs ours on 2 threads, the count init() picks on this 2-core machine (TF.js wasm runs on one thread in Node; in Chromium its threaded build needs setThreadsCount). The target is the one-thread row.', '');
md.push('| model | where | attention-wasm threads | groups | attention-wasm, ms (median of groups) | TF.js wasm, 1T, ms | speed-up | each group\'s ratio |');
md.push('|---|---|---:|---:|---:|---:|---:|---|');
for (const r of rows.filter((row) => row.task === 'predict')) {
  for (const [where, threads, p] of [['Node', 1, r.groupedNode], ['Node', 2, r.groupedNodeThreads2],
                                     ['Chromium', 1, r.groupedChromium], ['Chromium', 2, r.groupedChromiumThreads2]]) {
    md.push(`| ${r.model} | ${where} | ${threads} | ${p?.ratios.length ?? 0} | ${fx(p?.denominatorMs)} | ${fx(p?.numeratorMs)} | ${p ? `${fx(p.ratio)}x` : '–'} | ${groupRatios(p)} |`);
  }
}
md.push('', '## wasm in Node vs native SSE in grouped processes (wall-clock)', '');
md.push('Groups as above: a Node process of attention-wasm on one thread (SIMD128) and a native SSE-width run (Google Benchmark, one repetition) on every model, back to back; a group\'s ratio is wasm\'s median over native SSE\'s time per step.', '');
md.push('| model | groups | wasm Node, 1T, ms (median of groups) | native SSE, 1T, ms | wasm / native SSE | each group\'s ratio |');
md.push('|---|---:|---:|---:|---:|---|');
for (const r of rows) {
  const p = r.groupedWasmOverSse;
  md.push(`| ${r.model} | ${p?.ratios.length ?? 0} | ${fx(p?.numeratorMs)} | ${fx(p?.denominatorMs)} | ${p ? fx(p.ratio) : '–'} | ${groupRatios(p)} |`);
}
md.push('', '## Training in Chromium on 2 threads vs TF.js cpu in grouped pages (wall-clock)', '');
md.push('Groups as above: a page of attention-wasm on 2 threads (relaxed SIMD, cross-origin isolated) and a page of TF.js cpu, back to back, on the models TF.js cpu trains in minutes.', '');
md.push('| model | groups | attention-wasm, 2T, ms (median of groups) | TF.js cpu, ms | speed-up | each group\'s ratio |');
md.push('|---|---:|---:|---:|---:|---|');
for (const r of trainRows.filter((row) => row.groupedChromiumThreads2VsCpu)) {
  const p = r.groupedChromiumThreads2VsCpu;
  md.push(`| ${r.model} | ${p.ratios.length} | ${fx(p.denominatorMs)} | ${fx(p.numeratorMs)} | ${fx(p.ratio)}x | ${groupRatios(p)} |`);
}
md.push('', '## GEMM, GFLOP/s (best round; mean in parentheses), one core', '');
md.push(`Peak of one core: ${fx(peaks.avx512)} (AVX-512 FMA), ${fx(peaks.avx2)} (AVX2 FMA), ${fx(peaks.sseMulAdd)} (128-bit mul+add, no FMA: the SSE4 / wasm SIMD128 ceiling); clock ${fx(peaks.clockGHz)} GHz.`, '');
md.push('wasm: the SIMD128 (mul + add) and the relaxed-SIMD (FMA) builds of the harness; Node runs the relaxed one with --experimental-wasm-relaxed-simd. In Chromium the harness runs on a cross-origin isolated page (5 us timer).', '');
md.push(`| variant | n | native (${nativeArch}) | % of peak | native SSE | % of peak | wasm Node | wasm --no-liftoff | % of peak | wasm Node relaxed | Chromium SIMD128 | Chromium relaxed | FMA gain (Chromium) |`);
md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const pct = (v, p) => (v && p ? `${(100 * v / p).toFixed(0)}%` : '–');
for (const g of gemmRows) {
  md.push(`| ${g.variant} | ${g.n} | ${fx(g.native)} (${fx(g.nativeMean)}) | ${pct(g.native, widestPeak)} | ${fx(g.nativeSse)} (${fx(g.nativeSseMean)}) | ${pct(g.nativeSse, peaks.sseMulAdd)} | ${fx(g.wasm)} (${fx(g.wasmMean)}) | ${fx(g.wasmNoLiftoff)} (${fx(g.wasmNoLiftoffMean)}) | ${pct(g.wasm, peaks.sseMulAdd)} | ${fx(g.wasmRelaxed)} (${fx(g.wasmRelaxedMean)}) | ${fx(g.chromium)} (${fx(g.chromiumMean)}) | ${fx(g.chromiumRelaxed)} (${fx(g.chromiumRelaxedMean)}) | ${g.chromium && g.chromiumRelaxed ? `${fx(g.chromiumRelaxed / g.chromium)}x` : '–'} |`);
}
if (Object.keys(result.layers).length) {
  md.push('', `## Layers, batch 64, ms per batch: native (${nativeArch}, best of repetitions) and wasm in Node (fastest round)`, '');
  md.push('| layer | T | forward | forward + backward | wasm forward | wasm forward + backward | params |');
  md.push('|---|---:|---:|---:|---:|---:|---:|');
  const byLayer = {};
  for (const [k, v] of Object.entries(result.layers)) {
    const m = k.match(/^BM_(\w+)\/T:(\d+)\/backward:(\d)/);
    if (!m) continue;
    const e = (byLayer[`${m[1]}/${m[2]}`] ??= { layer: m[1], t: m[2], label: v.label });
    e[m[3] === '1' ? 'fb' : 'f'] = v.bestMs;
    e[m[3] === '1' ? 'wfb' : 'wf'] = v.wasmMs;
    e.label ??= v.label;
  }
  for (const e of Object.values(byLayer)) md.push(`| ${e.layer} | ${e.t} | ${fx(e.f)} | ${fx(e.fb)} | ${fx(e.wf)} | ${fx(e.wfb)} | ${e.label ?? ''} |`);
}
md.push('', '## Targets', '');
md.push('| target | met | figures |', '|---|---|---|');
for (const t of targets) md.push(`| ${t.target} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} | ${t.detail} |`);
md.push('');
writeFileSync(join(outDir, 'latest.md'), md.join('\n'));
console.log(md.join('\n'));
