// Browser / worker / bundler entry: the Emscripten factory finds attention_wasm.wasm next to
// this file through `new URL(..., import.meta.url)`, which bundlers such as Vite understand.
import createAttentionWasm from './attention_wasm.js';
import { createApi } from './api.js';
import { locateFileFor, threadCount, useRelaxedSimd, wasmFile } from './variant.js';

export { tensor } from './tensor.js';
export { padSequences, text } from './text.js';

let instance = null;

// Loads the module once; later calls return the same instance. options.locateFile and
// options.wasmBinary are handed to Emscripten for hosts that serve the .wasm elsewhere.
export function init(options = {}) {
  instance ??= load(options).catch((error) => {
    instance = null;
    throw error;
  });
  return instance;
}

// Threads need memory shared with workers: a cross-origin isolated page (COOP/COEP headers) or a
// worker of one. Elsewhere, and with { threads: 1 }, the single-threaded module. Each has a
// SIMD128 and a relaxed-SIMD .wasm (same glue), and the page fetches only the one it runs.
async function load({ threads: requested, relaxedSimd, ...options }) {
  const threads = threadCount(requested, {
    cores: globalThis.navigator?.hardwareConcurrency ?? 1,
    canShare: globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function',
  });
  const relaxed = useRelaxedSimd(relaxedSimd);
  // Literal URLs, so bundlers see and emit every file; variant.js says which one runs.
  const urls = {
    'attention_wasm.wasm': new URL('./attention_wasm.wasm', import.meta.url),
    'attention_wasm_relaxed.wasm': new URL('./attention_wasm_relaxed.wasm', import.meta.url),
    'attention_wasm_threads.wasm': new URL('./attention_wasm_threads.wasm', import.meta.url),
    'attention_wasm_threads_relaxed.wasm': new URL('./attention_wasm_threads_relaxed.wasm', import.meta.url),
    'attention_wasm_threads_web.worker.js': new URL('./attention_wasm_threads_web.worker.js', import.meta.url),
  };
  const wasm = wasmFile({ threads, relaxed });
  if (threads === 1) {
    const locateFile = locateFileFor(options.locateFile, { 'attention_wasm.wasm': wasm }, urls);
    return createApi(await createAttentionWasm({ ...options, locateFile }), { relaxed });
  }
  // Loaded only here, so a page on one thread never downloads it; by URL, not as a module
  // bundlers split into a chunk (a worker bundled as a classic script cannot hold chunks). Its
  // pthread workers import the same glue; its .wasm is the Node module's (the two links give
  // identical bytes).
  const glue = new URL('./attention_wasm_threads_web.js', import.meta.url).href;
  const { default: createThreaded } = await import(/* @vite-ignore */ glue);
  const module = await createThreaded({
    ...options,
    threadPoolSize: threads - 1,
    mainScriptUrlOrBlob: glue,
    locateFile: locateFileFor(options.locateFile, { 'attention_wasm_threads_web.wasm': wasm }, urls),
  });
  return createApi(module, { threaded: true, relaxed });
}
