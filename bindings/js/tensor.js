// Plain { data, shape } tensors: the only data type of the public API. Nested arrays are
// accepted on input and flattened here, once, before anything crosses into wasm.

function isTypedArray(value) {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

// Shape of a nested array; throws if it is ragged. `what` names the argument in errors.
function nestedShape(value, what) {
  const shape = [];
  let level = value;
  while (Array.isArray(level) || isTypedArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  const check = (node, depth, path) => {
    if (depth === shape.length) {
      if (typeof node !== 'number' && typeof node !== 'boolean') {
        throw new Error(`${what}: expected a number at ${path}, got ${node === null ? 'null' : typeof node}`);
      }
      return;
    }
    if (!(Array.isArray(node) || isTypedArray(node)) || node.length !== shape[depth]) {
      throw new Error(`${what}: ragged nested array: expected length ${shape[depth]} at ${path}, got ` +
        `${Array.isArray(node) || isTypedArray(node) ? node.length : typeof node}`);
    }
    for (let i = 0; i < node.length; i++) check(node[i], depth + 1, `${path}[${i}]`);
  };
  check(value, 0, what);
  return shape;
}

function flattenInto(value, out, offset) {
  if (Array.isArray(value) || isTypedArray(value)) {
    if (value.length > 0 && (Array.isArray(value[0]) || isTypedArray(value[0]))) {
      for (const item of value) offset = flattenInto(item, out, offset);
      return offset;
    }
    for (let i = 0; i < value.length; i++) out[offset + i] = Number(value[i]);
    return offset + value.length;
  }
  out[offset] = Number(value);
  return offset + 1;
}

function checkShape(shape, what) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

// tensor(Float32Array | Int32Array | number[] | nested arrays, shape?) -> { data, shape }.
export function tensor(values, shape, what = 'tensor') {
  if (values && typeof values === 'object' && 'data' in values && 'shape' in values && !Array.isArray(values)) {
    return tensor(values.data, values.shape, what);
  }
  if (isTypedArray(values) && !(values instanceof Float32Array) && !(values instanceof Int32Array)) {
    values = Float32Array.from(values);
  }
  if (values instanceof Float32Array || values instanceof Int32Array) {
    const inferred = shape ?? [values.length];
    const size = checkShape(inferred, what);
    if (size !== values.length) {
      throw new Error(`${what}: shape ${JSON.stringify(inferred)} holds ${size} values, got ${values.length}`);
    }
    return { data: values, shape: [...inferred] };
  }
  if (!Array.isArray(values)) {
    throw new Error(`${what}: expected a Float32Array, an Int32Array, a nested array or {data, shape}, got ${typeof values}`);
  }
  const inferred = nestedShape(values, what);
  const data = new Float32Array(inferred.reduce((a, b) => a * b, 1));
  flattenInto(values, data, 0);
  if (shape !== undefined) {
    const size = checkShape(shape, what);
    if (size !== data.length) {
      throw new Error(`${what}: shape ${JSON.stringify(shape)} holds ${size} values, got ${data.length}`);
    }
    return { data, shape: [...shape] };
  }
  return { data, shape: inferred };
}
