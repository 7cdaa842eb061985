// Runs in the benchmark page: the models of bench/models.json with one implementation (?impl=),
// then publishes window.benchResult (or window.benchError) for bench/js/browser.mjs.
import { init } from '/dist/index.js';

import { benchAll, OURS_TIMING, registerWasmUnsortedSegmentSum, TFJS_TIMING } from './common.mjs';

const log = (line) => { document.getElementById('log').textContent += line + '\n'; };

async function run() {
  const params = new URLSearchParams(location.search);
  const impl = params.get('impl') ?? 'ours';
  const only = params.get('models') ? params.get('models').split(',') : null;
  const skip = params.get('skip') ? params.get('skip').split(',') : [];
  const all = await (await fetch('/bench/models.json')).json();
  const timing = impl === 'ours' ? OURS_TIMING : TFJS_TIMING;
  // One thread unless ?threads= says otherwise (the page is cross-origin isolated: scripts/serve.mjs).
  // The relaxed-SIMD module where Chromium validates it, unless ?relaxed=0.
  const threads = Number(params.get('threads') ?? 1);
  const aw = await init({ threads, relaxedSimd: params.get('relaxed') === '0' ? false : undefined });
  const info = { impl, userAgent: navigator.userAgent, skipped: skip, results: {} };
  const tf = globalThis.tf;
  if (impl === 'ours') {
    info.backend = aw.backend;
    info.threads = aw.threads;
  } else {
    if (impl === 'tfjs-wasm') {
      tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
      // The page is cross-origin isolated, so TF.js may load its threaded-SIMD build: give it the
      // thread count ours runs on.
      tf.wasm.setThreadsCount?.(threads);
      info.unsortedSegmentSumRegistered = registerWasmUnsortedSegmentSum(tf);
    }
    await tf.setBackend(impl === 'tfjs-cpu' ? 'cpu' : 'wasm');
    await tf.ready();
    info.backend = tf.getBackend();
    if (impl === 'tfjs-wasm') info.threads = tf.wasm.getThreadsCount?.() ?? null;
  }
  const figures = await benchAll({ aw, tf, impl, all, only, skip, timing,
    log: (key, r) => log(`${key}: median ${r.medianMs.toFixed(3)} ms (${r.runs} runs)`) });
  info.results = figures.results;
  if (Object.keys(figures.oneThread).length) info.oneThread = figures.oneThread;
  return info;
}

run().then((info) => { window.benchResult = info; }, (error) => { window.benchError = String(error?.stack ?? error); });
