// loadKerasModel: reads the containers a Keras model comes in and hands the core its configs and
// weights (src/io/keras_import.cpp decides what they mean): TF.js Layers models (model.json with
// modelTopology + weightsManifest, and its binary shards), Keras 3 .keras files and legacy .h5
// files. The file readers (h5wasm for HDF5, ~1 MB gzipped; fflate for zip) stay out of the main
// bundle: keras_files.js registers them (Node's entry loads it on first use; apps in a browser
// import 'attention-wasm/keras-files' once). A dynamic import here would make bundlers split
// the package, which Vite's default (iife) worker builds refuse.
import { plainOptions, toJson } from './marshal.js';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes, magic) => magic.every((b, i) => bytes[i] === b);
const BYTES_PER_ELEMENT = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

// IEEE half precision -> float (tensorflowjs_converter's --quantize_float16).
function halfToFloat(h) {
  const exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff, sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
// A TF.js weight's bytes as float32. Quantized weights (--quantize_uint8 / _uint16) are affine:
// value = q * scale + min; float16 ones are halves.
function decodeWeight(raw, storedAs, quantization) {
  switch (storedAs) {
    case 'int32': return Float32Array.from(new Int32Array(raw));
    case 'float16': return Float32Array.from(new Uint16Array(raw), halfToFloat);
    case 'uint8': case 'uint16': {
      const { scale, min } = quantization;
      return Float32Array.from(storedAs === 'uint8' ? new Uint8Array(raw) : new Uint16Array(raw), (q) => q * scale + min);
    }
    default: return new Float32Array(raw);
  }
}

const isFileList = (value) => Array.isArray(value) || (typeof FileList !== 'undefined' && value instanceof FileList);

// model.json is read here (its manifest says where the weights are); the configs inside it, and
// the config texts of .keras and .h5 files, are parsed by the core.
function parseModelJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('loadKerasModel: model.json is not valid JSON');
  }
}

async function bytesOf(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof Blob !== 'undefined' && value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  throw new Error(`loadKerasModel: ${what} must be a Uint8Array, ArrayBuffer or Blob`);
}

// { modelJson, weights: [bytes...] in manifest path order | {path: bytes} } or a list of Files
// (model.json and its shards, as <input type=file multiple> gives them) -> { modelJson, shard(path) }.
async function tfjsSource(source) {
  if (isFileList(source)) {
    const files = Array.from(source);
    const json = files.find((f) => /\.json$/i.test(f.name ?? ''));
    if (!json) throw new Error('loadKerasModel: the files hold no model.json');
    const byName = new Map();
    for (const f of files) if (f !== json) byName.set(f.name, f);
    return { modelJson: parseModelJson(await json.text()), shard: async (path) => {
      const name = path.split('/').pop();
      if (!byName.has(name)) throw new Error(`loadKerasModel: the weights manifest names '${path}', which is not among the files`);
      return bytesOf(byName.get(name), path);
    } };
  }
  const modelJson = typeof source.modelJson === 'string' ? parseModelJson(source.modelJson) : source.modelJson;
  if (!modelJson || typeof modelJson !== 'object') throw new Error('loadKerasModel: modelJson must be the parsed model.json or its text');
  const weights = source.weights ?? [];
  const paths = (modelJson.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
  return { modelJson, shard: async (path) => {
    const bytes = Array.isArray(weights) ? weights[paths.indexOf(path)] : weights[path];
    if (bytes === undefined) throw new Error(`loadKerasModel: no bytes given for the weights file '${path}'`);
    return bytesOf(bytes, `weights '${path}'`);
  } };
}

let fileReaders = null;
let fileReaderLoader = null;
// Called by keras_files.js with { h5wasm, unzipSync }.
export function useKerasFileReaders(readers) { fileReaders = readers; }
// Called by the Node entry: where to load the readers from on first use.
export function setKerasFileLoader(load) { fileReaderLoader = load; }
async function kerasFileReaders() {
  if (!fileReaders && fileReaderLoader) fileReaders = await fileReaderLoader();
  if (!fileReaders) {
    throw new Error('loadKerasModel: reading .keras and .h5 files needs the HDF5 reader (h5wasm, ~1 MB gzipped), which ' +
      "is kept out of the main bundle: add `import 'attention-wasm/keras-files';` to your app once");
  }
  return fileReaders;
}

let h5Files = 0;
// Opens HDF5 bytes with h5wasm and runs read(file); h5wasm's own errors become ours.
async function withHdf5(bytes, read) {
  const { h5wasm } = await kerasFileReaders();
  const { FS } = await h5wasm.ready;
  const path = `/attention-wasm-import-${h5Files++}.h5`;
  FS.writeFile(path, bytes);
  let file = null;
  try {
    file = new h5wasm.File(path, 'r');
    return read(file);
  } catch (error) {
    // h5wasm's own errors (a damaged or truncated file) say little on their own.
    if (String(error?.message).startsWith('loadKerasModel:')) throw error;
    throw new Error(`loadKerasModel: not a readable HDF5 file (${error?.message ?? error})`);
  } finally {
    try { file?.close(); } catch { /* a file that never opened */ }
    FS.unlink(path);
  }
}

// A weight dataset as {name, shape, data}; float32 or float64 only, scalars included.
function weightOf(dataset, name) {
  if (!dataset || !Array.isArray(dataset.shape)) throw new Error(`loadKerasModel: weight '${name}' is listed but missing`);
  let value = dataset.value;
  // A scalar (Attention's scale) reads as a plain number.
  if (typeof value === 'number' && /^[<>]?[fd]$/.test(dataset.dtype)) value = Float32Array.of(value);
  if (!(value instanceof Float32Array || value instanceof Float64Array)) {
    throw new Error(`loadKerasModel: weight '${name}' has dtype ${dataset.dtype} (expected float32 or float64)`);
  }
  return { name, shape: dataset.shape, data: value };
}

// A Keras 3 .keras file: a zip of config.json (the model config, with compile_config), metadata.json
// and model.weights.h5, whose datasets sit at layers/<snake class>[_n]/.../vars/<i>; the core maps
// those paths onto the layers.
async function readKeras3(bytes) {
  const { unzipSync } = await kerasFileReaders();
  let entries;
  try {
    entries = unzipSync(bytes, { filter: (f) => ['config.json', 'model.weights.h5'].includes(f.name) && f.originalSize < 2 ** 31 });
  } catch (error) {
    throw new Error(`loadKerasModel: not a readable .keras zip (${error?.message ?? error})`);
  }
  for (const name of ['config.json', 'model.weights.h5']) {
    if (!entries[name]) throw new Error(`loadKerasModel: the .keras file has no ${name}`);
  }
  const weights = await withHdf5(entries['model.weights.h5'], (file) => {
    const out = [];
    const walk = (group, path, depth) => {
      if (depth > 32) throw new Error('loadKerasModel: model.weights.h5 nests groups deeper than 32');
      for (const key of group.keys()) {
        const child = group.get(key);
        if (child?.type === 'Dataset') out.push(weightOf(child, `${path}${key}`));
        else if (child) walk(child, `${path}${key}/`, depth + 1);
      }
    };
    const layers = file.get('layers');
    if (layers) walk(layers, 'layers/', 0);
    return out;
  });
  // config.json carries the training config too (compile_config): the core reads it from there.
  return { modelConfig: new TextDecoder().decode(entries['config.json']), trainingConfig: null, weights };
}

// A legacy .h5 (Keras 2.x, tf.keras 2.x, Keras 3's legacy format): the model_config and
// training_config attributes (JSON text, parsed by the core) and /model_weights/<layer>/<weight>
// datasets, listed by the layer_names and weight_names attributes (split into name0, name1, ...
// when long).
async function readLegacyH5(bytes) {
  return withHdf5(bytes, (file) => {
    // An attribute's values as a list (h5wasm gives one string, an array, or an empty typed array).
    const listOf = (value) => (value === undefined || value === null ? [] : typeof value === 'string' ? [value] : Array.from(value));
    const attribute = (node, name) => {
      if (node.attrs[name]) return node.attrs[name].value;
      const parts = [];
      for (let i = 0; node.attrs[`${name}${i}`]; i++) parts.push(...listOf(node.attrs[`${name}${i}`].value));
      return parts.length ? parts : undefined;
    };
    const json = (name) => {
      const value = attribute(file, name);
      if (value === undefined) return null;
      return typeof value === 'string' ? value : new TextDecoder().decode(value);
    };
    const modelConfig = json('model_config');
    if (!modelConfig) throw new Error("loadKerasModel: this .h5 file has no 'model_config' (a weights-only file from save_weights?); build the model and call setWeights");
    const root = file.get('model_weights');
    if (!root) throw new Error("loadKerasModel: this .h5 file has no 'model_weights' group");
    const weights = [];
    for (const layer of listOf(attribute(root, 'layer_names'))) {
      const group = root.get(String(layer));
      if (!group) throw new Error(`loadKerasModel: layer_names lists '${layer}', which has no group in model_weights`);
      for (const name of listOf(attribute(group, 'weight_names'))) {
        const full = String(name).startsWith(`${layer}/`) ? String(name) : `${layer}/${name}`;
        weights.push(weightOf(group.get(String(name)), full));
      }
    }
    return { modelConfig, trainingConfig: json('training_config'), weights };
  });
}

export function createKerasImport(M, Model) {
  // The core builds the model from the configs (JSON text, or objects) and the weights (in file
  // order, named).
  function importModel(modelConfig, trainingConfig, weights, customLayers) {
    const text = (config) => (typeof config === 'string' ? config : toJson(config));
    const list = new M.TensorList();
    try {
      for (const w of weights) {
        const index = list.add(w.shape);  // the core checks the shape
        list.view(index).set(w.data);
      }
      return new Model(M.Model.importKeras(text(modelConfig), text(trainingConfig), list,
        JSON.stringify(weights.map((w) => w.name)), toJson(customLayers ?? {})));
    } finally {
      list.delete();
    }
  }

  async function loadKerasModel(source, options = {}) {
    const o = plainOptions(options, 'loadKerasModel');
    for (const key of Object.keys(o)) {
      if (key !== 'customLayers') throw new Error(`loadKerasModel: unknown option '${key}' (known: customLayers)`);
    }
    if (source === null || typeof source !== 'object') throw new Error('loadKerasModel: expected a file, its bytes, or { modelJson, weights }');
    // One .keras or .h5 file picked in <input type=file multiple>: that file.
    if (isFileList(source) && source.length === 1 && !/\.json$/i.test(source[0]?.name ?? '')) source = source[0];
    if (!('modelJson' in source) && !isFileList(source)) {
      const bytes = await bytesOf(source, 'the model file');
      if (startsWith(bytes, HDF5_MAGIC)) {
        const { modelConfig, trainingConfig, weights } = await readLegacyH5(bytes);
        return importModel(modelConfig, trainingConfig, weights, o.customLayers);
      }
      if (startsWith(bytes, ZIP_MAGIC)) {
        const { modelConfig, trainingConfig, weights } = await readKeras3(bytes);
        return importModel(modelConfig, trainingConfig, weights, o.customLayers);
      }
      throw new Error('loadKerasModel: not a Keras model file (neither a .keras zip nor an HDF5 .h5 file)');
    }
    const { modelJson, shard } = await tfjsSource(source);
    const topology = modelJson.modelTopology;
    if (!topology || typeof topology !== 'object') throw new Error('loadKerasModel: model.json has no modelTopology');
    // Written by tensorflowjs_converter: {model_config, training_config}; by TF.js itself: the model config.
    const modelConfig = topology.model_config ?? topology;
    const trainingConfig = topology.training_config ?? modelJson.trainingConfig ?? null;
    const weights = [];
    for (const [g, group] of (modelJson.weightsManifest ?? []).entries()) {
      const parts = await Promise.all((group.paths ?? []).map(shard));
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { joined.set(p, at); at += p.length; }
      let offset = 0;
      for (const spec of group.weights ?? []) {
        const where = `weightsManifest[${g}] '${spec.name}'`;
        const quantized = spec.quantization;
        const storedAs = quantized ? quantized.dtype : spec.dtype ?? 'float32';
        const size = BYTES_PER_ELEMENT[storedAs];
        if (!size) throw new Error(`loadKerasModel: ${where} is stored as '${storedAs}' (expected float32, int32, or quantized uint8, uint16 or float16)`);
        if (quantized && storedAs !== 'float16' && !(Number.isFinite(quantized.scale) && Number.isFinite(quantized.min))) {
          throw new Error(`loadKerasModel: ${where} is quantized to ${storedAs} without a finite scale and min`);
        }
        if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 31)) {
          throw new Error(`loadKerasModel: ${where} has shape ${JSON.stringify(spec.shape)}`);
        }
        const bytes = spec.shape.reduce((n, d) => n * d, 1) * size;
        if (offset + bytes > joined.length) {
          throw new Error(`loadKerasModel: the weights files end before ${where} (${joined.length} bytes, ${offset + bytes} needed)`);
        }
        weights.push({ name: spec.name, shape: spec.shape, data: decodeWeight(joined.slice(offset, offset + bytes).buffer, storedAs, quantized) });
        offset += bytes;
      }
      if (offset !== joined.length) {
        throw new Error(`loadKerasModel: weightsManifest[${g}] describes ${offset} bytes, its files hold ${joined.length}`);
      }
    }
    return importModel(modelConfig, trainingConfig, weights, o.customLayers);
  }
  return { loadKerasModel };
}
