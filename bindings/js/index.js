// Browser / worker / bundler entry: the Emscripten factory finds attention_wasm.wasm next to
// this file through `new URL(..., import.meta.url)`, which bundlers such as Vite understand.
import createAttentionWasm from './attention_wasm.js';
import { createApi } from './api.js';

export { tensor } from './tensor.js';
export { padSequences, text } from './text.js';

let instance = null;

// Loads the module once; later calls return the same instance. options.locateFile and
// options.wasmBinary are handed to Emscripten for hosts that serve the .wasm elsewhere.
export function init(options = {}) {
  instance ??= createAttentionWasm({ ...options }).then(createApi).catch((error) => {
    instance = null;
    throw error;
  });
  return instance;
}
