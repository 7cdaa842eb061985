// The readers of Keras' file containers, kept out of the main bundle: h5wasm (the HDF5 C library
// in wasm, ~1 MB gzipped) for .h5 files and .keras weights, and fflate's unzip for .keras files.
// In a browser app, `import 'attention-wasm/keras-files';` once makes aw.loadKerasModel read
// them; Node's entry loads this module on first use.
import h5wasm from 'h5wasm';
import { unzipSync } from 'fflate';

import { useKerasFileReaders } from './keras.js';

export const readers = { h5wasm, unzipSync };
useKerasFileReaders(readers);
