// Options and data between JS and the core: options as JSON, tensors with exactly one copy each
// way between JS arrays and wasm memory.
import { tensor } from './tensor.js';

export function plainOptions(options, owner) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${owner}: options must be an object, got ${JSON.stringify(options)}`);
  }
  return options;
}

// Options and configs cross into the core as JSON, where NaN and Infinity would silently turn
// into null (= option absent): send them as strings instead, so the core rejects them by name.
export function toJson(value) {
  return JSON.stringify(value, (key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export function createMarshal(M) {
  // ---- data into and out of wasm: exactly one copy each way ------------------------------
  // One input/target per model input/output: a single tensor-like, or an array of them. Each
  // is written straight into a tensor the list allocated in wasm memory (Int32 token ids
  // convert to float32 in that same copy).
  // `role` is 'input' or 'output': what the list holds one of per model input or output.
  function toWasmList(value, count, what, role) {
    const tensors = tensorsOf(value, count, what, role);
    const list = new M.TensorList();
    try {
      tensors.forEach((t) => list.view(list.add(t.shape)).set(t.data));
    } catch (error) {
      list.delete();
      throw error;
    }
    return list;
  }
  // The tensors of one input/target per model input/output, checked and converted (a JS copy
  // only for nested arrays and other typed arrays).
  function tensorsOf(value, count, what, role) {
    // A list of tensors holds one per input/output, whatever their count (Keras also takes [x]
    // for a single-input model).
    const isList = Array.isArray(value) && value.length > 0 && value.every(isTensorObject);
    if (isList && value.length !== count) {
      throw new Error(`${what}: the model has ${count} ${role}${count === 1 ? '' : 's'}, got a list of ${value.length} tensors` +
        (count > 1 ? `; pass an array of ${count} tensors` : ''));
    }
    const items = count > 1 || isList ? value : [value];
    if (count > 1 && (!Array.isArray(items) || items.length !== count)) {
      throw new Error(`${what}: the model has ${count} of them; pass an array of ${count} tensors`);
    }
    return items.map((item, i) => tensor(item, undefined, count > 1 ? `${what}[${i}]` : what));
  }
  function isTensorObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) && 'data' in value && 'shape' in value;
  }
  function listFromWasm(list, single) {
    const out = [];
    for (let i = 0; i < list.size(); i++) out.push({ data: list.view(i).slice(), shape: list.shape(i) });
    return single && out.length === 1 ? out[0] : out;
  }
  function readLogs(names, values) {
    const logs = {};
    names.forEach((name, i) => { logs[name] = values[i]; });
    return logs;
  }

  return { toWasmList, tensorsOf, listFromWasm, readLogs };
}
