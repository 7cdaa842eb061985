// Node entry: the browser-targeted glue cannot fetch() a file URL in Node, so read the .wasm
// here and hand its bytes to the factory.
import { readFile } from 'node:fs/promises';

import createAttentionWasm from './attention_wasm.js';
import { createApi } from './api.js';
import { setKerasFileLoader } from './keras.js';

// Node has no bundle to keep small: the .keras / .h5 readers load on first use.
setKerasFileLoader(() => import('./keras_files.js').then((module) => module.readers));

export { tensor } from './tensor.js';
export { padSequences, text } from './text.js';

let instance = null;

export function init(options = {}) {
  instance ??= readFile(new URL('./attention_wasm.wasm', import.meta.url))
    .then((wasmBinary) => createAttentionWasm({ ...options, wasmBinary }))
    .then(createApi)
    .catch((error) => {
      instance = null;
      throw error;
    });
  return instance;
}
