// Importing this module registers the .keras / .h5 readers with aw.loadKerasModel.
export declare const readers: { h5wasm: unknown; unzipSync: unknown };
