// loadKerasModel: reads the containers a Keras model comes in and hands the core its configs and
// weights (src/io/keras_import.cpp decides what they mean). This version reads TF.js Layers
// models: model.json (modelTopology + weightsManifest) and its binary shards.
import { plainOptions, toJson } from './marshal.js';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes, magic) => magic.every((b, i) => bytes[i] === b);
const BYTES_PER_ELEMENT = { float32: 4, int32: 4 };

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
  if (Array.isArray(source) || (typeof FileList !== 'undefined' && source instanceof FileList)) {
    const files = Array.from(source);
    const json = files.find((f) => /\.json$/i.test(f.name ?? ''));
    if (!json) throw new Error('loadKerasModel: the files hold no model.json');
    const byName = new Map();
    for (const f of files) if (f !== json) byName.set(f.name, f);
    return { modelJson: JSON.parse(await json.text()), shard: async (path) => {
      const name = path.split('/').pop();
      if (!byName.has(name)) throw new Error(`loadKerasModel: the weights manifest names '${path}', which is not among the files`);
      return bytesOf(byName.get(name), path);
    } };
  }
  const modelJson = typeof source.modelJson === 'string' ? JSON.parse(source.modelJson) : source.modelJson;
  if (!modelJson || typeof modelJson !== 'object') throw new Error('loadKerasModel: modelJson must be the parsed model.json or its text');
  const weights = source.weights ?? [];
  const paths = (modelJson.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
  return { modelJson, shard: async (path) => {
    const bytes = Array.isArray(weights) ? weights[paths.indexOf(path)] : weights[path];
    if (bytes === undefined) throw new Error(`loadKerasModel: no bytes given for the weights file '${path}'`);
    return bytesOf(bytes, `weights '${path}'`);
  } };
}

export function createKerasImport(M, Model) {
  async function loadKerasModel(source, options = {}) {
    const o = plainOptions(options, 'loadKerasModel');
    for (const key of Object.keys(o)) {
      if (key !== 'customLayers') throw new Error(`loadKerasModel: unknown option '${key}' (known: customLayers)`);
    }
    if (source === null || typeof source !== 'object') throw new Error('loadKerasModel: expected a file, its bytes, or { modelJson, weights }');
    if (!('modelJson' in source) && !Array.isArray(source) && !(typeof FileList !== 'undefined' && source instanceof FileList)) {
      const bytes = await bytesOf(source, 'the model file');
      if (startsWith(bytes, ZIP_MAGIC) || startsWith(bytes, HDF5_MAGIC)) {
        throw new Error(`loadKerasModel: this is a ${startsWith(bytes, ZIP_MAGIC) ? 'Keras 3 .keras' : 'Keras .h5'} file; ` +
          'this version reads TF.js Layers models (model.json and its shards): convert it with ' +
          '`tensorflowjs_converter --input_format keras model.h5 out/`');
      }
      throw new Error('loadKerasModel: not a Keras model file (neither a .keras zip nor an HDF5 .h5 file)');
    }
    const { modelJson, shard } = await tfjsSource(source);
    const topology = modelJson.modelTopology;
    if (!topology || typeof topology !== 'object') throw new Error('loadKerasModel: model.json has no modelTopology');
    // Written by tensorflowjs_converter: {model_config, training_config}; by TF.js itself: the model config.
    const modelConfig = topology.model_config ?? topology;
    const trainingConfig = topology.training_config ?? modelJson.trainingConfig ?? null;
    const names = [];
    const list = new M.TensorList();
    try {
      for (const [g, group] of (modelJson.weightsManifest ?? []).entries()) {
        const parts = await Promise.all((group.paths ?? []).map(shard));
        const total = parts.reduce((n, p) => n + p.length, 0);
        const joined = new Uint8Array(total);
        let at = 0;
        for (const p of parts) { joined.set(p, at); at += p.length; }
        let offset = 0;
        for (const spec of group.weights ?? []) {
          const where = `weightsManifest[${g}] '${spec.name}'`;
          if (spec.quantization) throw new Error(`loadKerasModel: ${where} is quantized; convert the model without quantization`);
          const size = BYTES_PER_ELEMENT[spec.dtype ?? 'float32'];
          if (!size) throw new Error(`loadKerasModel: ${where} has dtype '${spec.dtype}' (expected float32 or int32)`);
          const index = list.add(spec.shape);  // the core checks the shape
          const view = list.view(index);
          const bytes = view.length * size;
          if (offset + bytes > joined.length) {
            throw new Error(`loadKerasModel: the weights files end before ${where} (${joined.length} bytes, ${offset + bytes} needed)`);
          }
          const source = joined.slice(offset, offset + bytes).buffer;
          view.set(spec.dtype === 'int32' ? Float32Array.from(new Int32Array(source)) : new Float32Array(source));
          offset += bytes;
          names.push(spec.name);
        }
        if (offset !== joined.length) {
          throw new Error(`loadKerasModel: weightsManifest[${g}] describes ${offset} bytes, its files hold ${joined.length}`);
        }
      }
      const handle = M.Model.importKeras(toJson(modelConfig), toJson(trainingConfig), list, JSON.stringify(names),
        toJson(o.customLayers ?? {}));
      return new Model(handle);
    } finally {
      list.delete();
    }
  }
  return { loadKerasModel };
}
