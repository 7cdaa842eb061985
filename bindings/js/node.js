// Node entry: the browser-targeted glue cannot fetch() a file URL in Node, so read the .wasm
// here and hand its bytes to the factory.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import createAttentionWasm from './attention_wasm.js';
import { createApi } from './api.js';
import { setKerasFileLoader } from './keras.js';
import { threadCount, useRelaxedSimd, wasmFile } from './variant.js';

// Node has no bundle to keep small: the .keras / .h5 readers load on first use.
setKerasFileLoader(() => import('./keras_files.js').then((module) => module.readers));

export { tensor } from './tensor.js';
export { padSequences, text } from './text.js';

let instance = null;

export function init(options = {}) {
  instance ??= load(options).catch((error) => {
    instance = null;
    throw error;
  });
  return instance;
}

// Node shares memory between worker threads: the threaded variant unless one thread is asked for.
// Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd; newer Node does.
async function load({ threads: requested, relaxedSimd, ...options }) {
  const threads = threadCount(requested, { cores: availableParallelism(), canShare: typeof SharedArrayBuffer === 'function' });
  const relaxed = useRelaxedSimd(relaxedSimd);
  const wasmBinary = await readFile(new URL(`./${wasmFile({ threads, relaxed })}`, import.meta.url));
  if (threads === 1) {
    return createApi(await createAttentionWasm({ ...options, wasmBinary }), { relaxed });
  }
  // A classic-script factory (its pthread workers load it with require); the workers' own script
  // is the .cjs copy, since this package's .js files are ES modules to Node.
  const workerScript = new URL('./attention_wasm_threads.worker.cjs', import.meta.url);
  const createThreaded = createRequire(import.meta.url)('./attention_wasm_threads.cjs');
  const module = await createThreaded({
    ...options,
    wasmBinary,
    threadPoolSize: threads - 1,
    locateFile: (name, directory) => (name.endsWith('.worker.js') ? fileURLToPath(workerScript) : directory + name),
  });
  // The pool's workers (started with the module) must not keep the process alive once the
  // program is done: they idle in the training pool's wait for good.
  for (const worker of module.PThread.unusedWorkers) worker.unref();
  return createApi(module, { threaded: true, relaxed });
}
