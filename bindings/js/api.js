// The public API of docs/API.md over the Embind module. Thin by rule: argument normalization,
// the one copy of data into wasm memory (marshal.js), the symbolic graph (graph.js), the model
// wrapper and its async fit loop, which must yield to the event loop, something only JS can do
// (models.js), and errors (errors.js). Validation, shapes and all maths happen in the C++ core,
// which throws; its messages reach users unchanged as JS Errors.
import { throwParkedErrors } from './errors.js';
import { createGraph } from './graph.js';
import { createKerasImport } from './keras.js';
import { createMarshal } from './marshal.js';
import { createModels } from './models.js';
import { tensor } from './tensor.js';
import { padSequences, text } from './text.js';

// M: the module; threaded: whether it is the pthreads variant, whose pool the module started
// with M.threadPoolSize workers (training then uses that many + 1 threads); relaxed: whether its
// .wasm is the relaxed-SIMD one.
export function createApi(M, { threaded = false, relaxed = false } = {}) {
  throwParkedErrors(M);
  const marshal = createMarshal(M);
  const graph = createGraph(M);
  const { Model, model, sequential, loadModel } = createModels(M, marshal, graph);
  const { loadKerasModel } = createKerasImport(M, Model);
  const { input, layers } = graph;

  const simd = M.simdArchitecture();
  // Threads whose workers the module started: a page's pthread can only run on one of those (a
  // new worker starts only once the page's event loop runs), so that is the most training uses.
  const started = threaded ? M.setThreads(M.threadPoolSize + 1) : 1;
  return Object.freeze({
    version: M.version(),
    backend: (relaxed ? 'wasm-relaxed-simd' : 'wasm-simd128') + (threaded ? '-threads' : ''),
    get threads() {
      return M.threads();
    },
    // Trains on fewer threads than init() started (leaving cores to the page), or back up to
    // that many; applies from the next batch, also during fit().
    setThreads(count) {
      if (!Number.isInteger(count) || count < 1 || count > started) {
        throw new Error(`setThreads: expected a whole number of threads from 1 to ${started} (the threads init() ` +
          `started${threaded ? '' : ': the single-threaded module'}), got ${JSON.stringify(count)}`);
      }
      return M.setThreads(count);
    },
    // Cuts every batch into `count` shards whatever the thread count (0: one per thread); the rule
    // and its checks are the core's (attn::setFixedShards).
    get fixedShards() {
      return M.fixedShards();
    },
    setFixedShards(count) {
      M.setFixedShards(count);
      return M.fixedShards();
    },
    simdArchitecture: simd,
    fusedMultiplyAdd: M.fusedMultiplyAdd(),
    tensor: (values, shape) => tensor(values, shape),
    input,
    model,
    sequential,
    layers: Object.freeze(layers),
    loadModel,
    loadKerasModel,
    text,
    padSequences,
    // Size of the wasm memory (it only grows) and the bytes of it allocated right now: lets apps
    // (and our soak tests) watch for leaks.
    memoryBytes: () => M.HEAPU8.length,
    // wasm objects alive (models, fit sessions, staging buffers): flat when nothing leaks.
    liveHandles: () => M.liveHandles(),
    // Bytes of wasm heap allocated and not freed (memoryBytes() only ever grows).
    heapBytesInUse: () => M.heapBytesInUse(),
  });
}
