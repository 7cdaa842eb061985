// The models of bench/models.json in Node, one implementation per process (so one library's JIT
// and heap do not disturb another's):
//   node bench/js/node.mjs ours [out.json]          attention-wasm (run also with node --no-liftoff)
//   node bench/js/node.mjs tfjs-cpu|tfjs-wasm [out.json]
// Prints a line per model and writes {impl, node, flags, backend, threads, results: {model: {...}}}.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { init } from 'attention-wasm';

import { benchAll, OURS_TIMING, registerWasmUnsortedSegmentSum, TFJS_TIMING } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const all = JSON.parse(readFileSync(join(here, '..', 'models.json'), 'utf8'));
const [impl = 'ours', outFile] = process.argv.slice(2);
const only = process.env.BENCH_MODELS ? process.env.BENCH_MODELS.split(',') : null;
// BENCH_SKIP: models this run leaves out (scripts/bench.sh: TF.js cpu on the BiLSTM, whose steps
// take minutes); they are listed in the output as skipped.
const skip = process.env.BENCH_SKIP ? process.env.BENCH_SKIP.split(',') : [];
const cpuClock = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const timing = { ...(impl === 'ours' ? OURS_TIMING : TFJS_TIMING), cpuClock };

// One thread unless BENCH_THREADS says otherwise (scripts/bench.sh runs ours again on 2).
const aw = await init({ threads: Number(process.env.BENCH_THREADS ?? 1) });
const info = { impl, node: process.version, flags: process.execArgv, skipped: skip, results: {} };
let tf = null;
if (impl === 'ours') {
  info.backend = aw.backend;
  info.threads = aw.threads;
  info.simdArchitecture = aw.simdArchitecture;
} else if (impl === 'tfjs-cpu' || impl === 'tfjs-wasm') {
  tf = await import('@tensorflow/tfjs');
  if (impl === 'tfjs-wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';
    wasm.setWasmPaths(dist);
    info.unsortedSegmentSumRegistered = registerWasmUnsortedSegmentSum(tf);
  }
  await tf.setBackend(impl === 'tfjs-cpu' ? 'cpu' : 'wasm');
  await tf.ready();
  info.backend = tf.getBackend();
  info.tfjsVersion = tf.version.tfjs;
  if (impl === 'tfjs-wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    info.threads = wasm.getThreadsCount?.() ?? null;
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  }
} else {
  throw new Error(`bench: unknown implementation '${impl}' (ours | tfjs-cpu | tfjs-wasm)`);
}

const figures = await benchAll({ aw, tf, impl, all, only, skip, timing, log: (key, r) => {
  console.error(`${impl}${process.execArgv.length ? ' ' + process.execArgv.join(' ') : ''}  ${key.padEnd(28)} ` +
    `median ${r.medianMs.toFixed(3)} ms  mean ${r.meanMs.toFixed(3)}  best ${r.bestMs.toFixed(3)}  cpu ${r.cpuMs.toFixed(3)}  (${r.runs} runs, ${r.params} params)`);
} });
info.results = figures.results;
if (Object.keys(figures.oneThread).length) info.oneThread = figures.oneThread;
const json = JSON.stringify(info, null, 1);
if (outFile) writeFileSync(outFile, json);
else console.log(json);
