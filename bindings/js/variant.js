// Which module init() loads: how many threads, and whether the relaxed-SIMD (FMA) build. One rule
// for the Node and the browser entries; each says what its host offers.

// How many threads: the count asked for, else what the host offers, capped at 4 (a batch of 64
// then shards into 16 samples a thread; more threads gain little on the models this library
// trains); always 1 where memory cannot be shared between threads.
export const DEFAULT_THREAD_CAP = 4;
export const MAX_THREADS = 16;

export function threadCount(requested, { cores, canShare }) {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new Error(`init: option 'threads' must be a positive integer, got ${JSON.stringify(requested)}`);
  }
  if (!canShare) return 1;
  const wanted = requested ?? Math.min(cores, DEFAULT_THREAD_CAP);
  return Math.max(1, Math.min(wanted, MAX_THREADS));
}

// The smallest module that uses f32x4.relaxed_madd (opcode 0xfd 0x85 0x02): a host that
// validates it runs the relaxed-SIMD build, as TF.js and ONNX Runtime Web detect their variants.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array(16).fill(0)]), // three v128.const 0
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd, end
]);

export function relaxedSimdSupported() {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
}

// options.relaxedSimd: undefined picks by detection; false keeps the SIMD128 build (its numbers
// are the same on every machine: relaxed madd is fused or not as the CPU has FMA); true insists.
export function useRelaxedSimd(requested) {
  if (requested !== undefined && typeof requested !== 'boolean') {
    throw new Error(`init: option 'relaxedSimd' must be true or false, got ${JSON.stringify(requested)}`);
  }
  const supported = relaxedSimdSupported();
  if (requested === true && !supported) {
    throw new Error("init: option 'relaxedSimd' is true, but this host does not validate relaxed SIMD (f32x4.relaxed_madd)");
  }
  return requested ?? supported;
}

// The .wasm a module runs on: one of the four the package ships (one glue per thread variant
// drives both of its builds).
export function wasmFile({ threads, relaxed }) {
  return `attention_wasm${threads > 1 ? '_threads' : ''}${relaxed ? '_relaxed' : ''}.wasm`;
}

// Emscripten's locateFile for a glue that asks for `asked` (its own link's .wasm name, or a file
// the package ships under another name: renames[asked]). The caller's locateFile, when given, gets
// the shipped name, so a host serving the package elsewhere serves the module init() chose;
// otherwise `urls` (name -> URL) or the glue's prefix.
export function locateFileFor(userLocateFile, renames, urls) {
  return (asked, prefix) => {
    const name = renames[asked] ?? asked;
    if (userLocateFile) return userLocateFile(name, prefix);
    return urls[name]?.href ?? prefix + name;
  };
}
