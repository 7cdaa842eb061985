// The public API of API.md over the Embind module. Thin by rule: argument normalization, the
// one copy of data into wasm memory, the async fit loop (which must yield to the event loop,
// something only JS can do), and ownership of wasm handles. Validation, shapes and all maths
// happen in the C++ core, which throws; its messages reach users unchanged as JS Errors.
import { tensor } from './tensor.js';
import { padSequences, text } from './text.js';

// Model-level keys a layer's options may carry (Keras' inputShape on a Sequential's first layer).
const MODEL_LEVEL_KEYS = ['inputShape', 'batchInputShape'];

function plainOptions(options, owner) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${owner}: options must be an object, got ${JSON.stringify(options)}`);
  }
  return options;
}

// Options and configs cross into the core as JSON, where NaN and Infinity would silently turn
// into null (= option absent): send them as strings instead, so the core rejects them by name.
function toJson(value) {
  return JSON.stringify(value, (key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

// How long fit() may compute before it yields to the event loop (API.md: ~50 ms at most).
const YIELD_BUDGET_MS = 25;
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
// setTimeout(0) is clamped to 4 ms in browsers after a few nestings; a message round trip is not.
function yieldToEventLoop() {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// The bindings never throw through Embind (that would leak the buffers Embind allocates for
// string arguments): a failed call parks its message and returns. Every bound function is
// wrapped once here to collect that message and throw it as a JS Error.
const EMBIND_OWN = new Set(['constructor']);
function throwParkedErrors(M) {
  if (M.attnErrorsChecked) return;
  const check = (fn) => function checkedCall(...args) {
    const out = fn.apply(this, args);
    const message = M.takeError();
    if (message) throw new Error(message);
    return out;
  };
  for (const cls of [M.Model, M.FitSession, M.TensorList, M.Bytes]) {
    for (const name of Object.getOwnPropertyNames(cls.prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name);
      if (!EMBIND_OWN.has(name) && typeof descriptor.value === 'function') cls.prototype[name] = check(descriptor.value);
    }
  }
  M.Model.fromConfig = check(M.Model.fromConfig);
  M.Model.load = check(M.Model.load);
  M.inferLayer = check(M.inferLayer);
  M.checkLayerOptions = check(M.checkLayerOptions);
  M.functionalConfig = check(M.functionalConfig);
  M.attnErrorsChecked = true;
}

export function createApi(M) {
  throwParkedErrors(M);
  // A safety net only: the wrapper deletes what it creates; models are freed by dispose().
  const finalizer = typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((handle) => { if (!handle.isDeleted()) handle.delete(); }) : null;

  // ---- data into and out of wasm: exactly one copy each way ------------------------------
  // One input/target per model input/output: a single tensor-like, or an array of them. Each
  // is written straight into a tensor the list allocated in wasm memory (Int32 token ids
  // convert to float32 in that same copy).
  // `role` is 'input' or 'output': what the list holds one of per model input or output.
  function toWasmList(value, count, what, role) {
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
    const list = new M.TensorList();
    try {
      items.forEach((item, i) => {
        const t = tensor(item, undefined, count > 1 ? `${what}[${i}]` : what);
        const index = list.add(t.shape);
        list.view(index).set(t.data);
      });
    } catch (error) {
      list.delete();
      throw error;
    }
    return list;
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

  // ---- symbolic graph (functional API) ---------------------------------------------------
  class SymbolicTensor {
    constructor(node, index, shape) {
      this.node = node;
      this.index = index;
      this.shape = [null, ...shape];
    }
  }

  class Layer {
    constructor(type, options) {
      this.type = type;
      this.options = { ...plainOptions(options, type) };
      this.node = null;
      // The core checks the options now, where the mistake is made (as Keras' constructors do).
      const spec = this.toJSON();
      M.checkLayerOptions(spec.className, toJson(spec.config));
    }
    get name() { return this.node?.name ?? this.options.name; }
    // The layer as a spec for the core: nested layers (bidirectional, timeDistributed) too.
    toJSON() {
      const config = {};
      for (const [key, value] of Object.entries(this.options)) {
        if (!MODEL_LEVEL_KEYS.includes(key)) config[key] = value instanceof Layer ? value.toJSON() : value;
      }
      return { className: this.type, config };
    }
    apply(inputs) {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      for (const t of list) {
        if (!(t instanceof SymbolicTensor)) {
          throw new Error(`${this.options.name ?? this.type}: apply() takes the output of aw.input() or of another layer's apply()`);
        }
      }
      if (this.node) {
        throw new Error(`${this.name}: this layer is already applied; using one layer at several places is not supported`);
      }
      const spec = this.toJSON();
      const info = JSON.parse(M.inferLayer(spec.className, toJson(spec.config),
        JSON.stringify(list.map((t) => t.shape.slice(1)))));
      this.node = { layer: this, spec, inputs: list, name: this.options.name ?? null };
      const outputs = info.outputShapes.map((shape, i) => new SymbolicTensor(this.node, i, shape));
      return outputs.length === 1 ? outputs[0] : outputs;
    }
  }

  function input(options) {
    const o = plainOptions(options, 'input');
    for (const key of Object.keys(o)) {
      if (!['shape', 'name', 'dtype'].includes(key)) throw new Error(`input: unknown option '${key}' (known: shape, name, dtype)`);
    }
    if (!Array.isArray(o.shape) || o.shape.length === 0 || o.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`input: option 'shape' must be a non-empty array of positive integers (per sample, no batch), got ${JSON.stringify(o.shape)}`);
    }
    if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'int32') {
      throw new Error(`input: option 'dtype' must be 'float32' or 'int32', got ${JSON.stringify(o.dtype)}`);
    }
    const node = { input: true, shape: [...o.shape], name: o.name ?? null };
    return new SymbolicTensor(node, 0, o.shape);
  }

  // The graph as recorded: every node the outputs reach (and the inputs), each with its spec and
  // inbound references. The core orders the nodes, names the unnamed (Keras' rule) and writes
  // the functional config (src/model/builder.cpp), as for C++ callers.
  function functionalConfig(inputs, outputs, name) {
    const inputList = Array.isArray(inputs) ? inputs : [inputs];
    const outputList = Array.isArray(outputs) ? outputs : [outputs];
    for (const t of [...inputList, ...outputList]) {
      if (!(t instanceof SymbolicTensor)) throw new Error('model: inputs and outputs must be symbolic tensors from aw.input() and layer.apply()');
    }
    const nodes = [];
    const index = new Map();
    const pending = [...outputList, ...inputList].map((t) => t.node);
    while (pending.length > 0) {
      const node = pending.pop();
      if (index.has(node)) continue;
      index.set(node, nodes.length);
      nodes.push(node);
      for (const t of node.inputs ?? []) pending.push(t.node);
    }
    const ref = (t) => [index.get(t.node), t.index];
    const graph = {
      name: name ?? 'model',
      nodes: nodes.map((node) => {
        const named = node.name === null ? {} : { name: node.name };
        if (node.input) return { className: 'InputLayer', config: named, shape: node.shape };
        return { className: node.spec.className, config: { ...node.spec.config, ...named }, inbound: node.inputs.map(ref) };
      }),
      inputs: inputList.map(ref),
      outputs: outputList.map(ref),
    };
    return JSON.parse(M.functionalConfig(toJson(graph)));
  }

  // ---- models ----------------------------------------------------------------------------
  class Model {
    #handle;
    constructor(handle) {
      this.#handle = handle;
      this.stopTraining = false;
      finalizer?.register(this, handle, this);
    }
    get #live() {
      if (!this.#handle) throw new Error('model: this model has been disposed');
      return this.#handle;
    }
    get inputCount() { return this.#live.inputCount(); }
    get outputCount() { return this.#live.outputCount(); }
    get name() { return this.toJSON().config.name; }

    compile(options) {
      this.#live.compile(toJson(plainOptions(options, 'compile')));
    }

    predict(x, options = {}) {
      const o = plainOptions(options, 'predict');
      const h = this.#live;
      const xs = toWasmList(x, h.inputCount(), 'predict: x', 'input');
      try {
        const out = h.predict(xs, toJson(o));
        try { return listFromWasm(out, true); } finally { out.delete(); }
      } finally {
        xs.delete();
      }
    }

    evaluate(x, y, options = {}) {
      const o = plainOptions(options, 'evaluate');
      const h = this.#live;
      const xs = toWasmList(x, h.inputCount(), 'evaluate: x', 'input');
      try {
        const ys = toWasmList(y, h.outputCount(), 'evaluate: y', 'output');
        try { return JSON.parse(h.evaluate(xs, ys, toJson(o))); } finally { ys.delete(); }
      } finally {
        xs.delete();
      }
    }

    trainOnBatch(x, y) {
      const h = this.#live;
      const xs = toWasmList(x, h.inputCount(), 'trainOnBatch: x', 'input');
      try {
        const ys = toWasmList(y, h.outputCount(), 'trainOnBatch: y', 'output');
        try { return JSON.parse(h.trainOnBatch(xs, ys)); } finally { ys.delete(); }
      } finally {
        xs.delete();
      }
    }

    async fit(x, y, options = {}) {
      const o = { ...plainOptions(options, 'fit') };
      const { callbacks = {}, signal, validationData } = o;
      delete o.callbacks; delete o.signal; delete o.validationData;
      if (o.verbose !== undefined) delete o.verbose;
      const h = this.#live;
      const handles = [];
      let session = null;
      try {
        const xs = toWasmList(x, h.inputCount(), 'fit: x', 'input'); handles.push(xs);
        const ys = toWasmList(y, h.outputCount(), 'fit: y', 'output'); handles.push(ys);
        let vx = null, vy = null;
        if (validationData !== undefined) {
          if (!Array.isArray(validationData) || validationData.length !== 2) {
            throw new Error('fit: option \'validationData\' must be [x, y]');
          }
          vx = toWasmList(validationData[0], h.inputCount(), 'fit: validationData x', 'input'); handles.push(vx);
          vy = toWasmList(validationData[1], h.outputCount(), 'fit: validationData y', 'output'); handles.push(vy);
        }
        session = vx ? h.beginFitWithValidation(xs, ys, vx, vy, toJson(o)) : h.beginFit(xs, ys, toJson(o));
        const samples = session.samples();
        this.stopTraining = false;
        await callbacks.onTrainBegin?.();
        let batchNames = null, epochNames = null;
        let sliceStart = now();
        for (;;) {
          if (signal?.aborted || this.stopTraining) { session.stop(); break; }
          // A callback may have disposed the model; the session still holds it alive in wasm.
          if (this.#handle === null) throw new Error('fit: the model was disposed during training');
          const flags = session.step();
          batchNames ??= JSON.parse(session.batchLogNames());
          // A third argument beyond Keras' (batch, logs): where the epoch is, from the core.
          if (callbacks.onBatchEnd) {
            await callbacks.onBatchEnd(session.batch(), readLogs(batchNames, session.batchLogValues()),
              { epoch: session.epoch(), samplesSeen: session.samplesSeen(), samples });
          }
          if (flags & 1) {
            epochNames ??= JSON.parse(session.epochLogNames());
            await callbacks.onEpochEnd?.(session.epoch(), readLogs(epochNames, session.epochLogValues()));
          }
          if (flags & 2) break;
          if (now() - sliceStart > YIELD_BUDGET_MS) {
            await yieldToEventLoop();
            sliceStart = now();
          }
        }
        const history = { ...JSON.parse(session.historyJson()), params: { epochs: o.epochs ?? 1, samples },
                          stopped: !!(signal?.aborted || this.stopTraining) };
        await callbacks.onTrainEnd?.(history);
        return history;
      } finally {
        session?.delete();
        for (const handle of handles) handle.delete();
      }
    }

    getAttention(x, options = {}) {
      const o = plainOptions(options, 'getAttention');
      const h = this.#live;
      const xs = toWasmList(x, h.inputCount(), 'getAttention: x', 'input');
      try {
        const out = h.getAttention(xs, toJson(o));
        try { return listFromWasm(out, true); } finally { out.delete(); }
      } finally {
        xs.delete();
      }
    }

    getActivations(x, layerName) {
      const h = this.#live;
      if (typeof layerName !== 'string') throw new Error('getActivations: the layer name must be a string');
      const xs = toWasmList(x, h.inputCount(), 'getActivations: x', 'input');
      try {
        const out = h.getActivations(xs, layerName);
        try { return listFromWasm(out, true); } finally { out.delete(); }
      } finally {
        xs.delete();
      }
    }

    summary(print = console.log) {
      const text = this.#live.summary();
      if (print) print(text);
      return text;
    }
    countParams() { return this.#live.countParams(); }
    get layers() { return JSON.parse(this.#live.layersJson()); }
    toJSON() { return JSON.parse(this.#live.toJSON()); }

    getWeights() {
      const h = this.#live;
      try {
        const info = JSON.parse(h.weightsJson());
        return info.map((w, i) => ({ name: w.name, shape: w.shape, data: h.weightView(i).slice() }));
      } finally {
        h.releaseWeights();
      }
    }

    // [{name?, shape?, data}] in getWeights() order; the core checks count, names and shapes.
    setWeights(list) {
      const h = this.#live;
      if (!Array.isArray(list)) throw new Error('setWeights: expected an array of {name, shape, data}');
      const staged = new M.TensorList();
      try {
        list.forEach((w, i) => {
          if (!w || !('data' in w)) throw new Error(`setWeights: weights[${i}] must be {name, shape, data}`);
          // Flat or nested values (a Keras weight list arrives as nested arrays).
          const t = tensor(w.data, w.shape, `setWeights: weights[${i}]`);
          staged.view(staged.add(t.shape)).set(t.data);
        });
        h.setWeights(staged, JSON.stringify(list.map((w) => w.name ?? null)));
      } finally {
        staged.delete();
      }
    }

    save() {
      return this.#live.save().slice();
    }

    dispose() {
      if (!this.#handle) throw new Error('model: this model has already been disposed');
      finalizer?.unregister(this);
      this.#handle.delete();
      this.#handle = null;
    }
    get isDisposed() { return this.#handle === null; }
  }

  function modelFromConfig(config, seed) {
    return new Model(M.Model.fromConfig(toJson(config), toJson({ seed })));
  }

  function model(options) {
    const o = plainOptions(options, 'model');
    for (const key of Object.keys(o)) {
      if (!['inputs', 'outputs', 'name', 'seed'].includes(key)) throw new Error(`model: unknown option '${key}' (known: inputs, outputs, name, seed)`);
    }
    if (!o.inputs || !o.outputs) throw new Error('model: options \'inputs\' and \'outputs\' are required');
    return modelFromConfig(functionalConfig(o.inputs, o.outputs, o.name), o.seed);
  }

  function sequential(options) {
    const o = plainOptions(options, 'sequential');
    for (const key of Object.keys(o)) {
      if (!['layers', 'name', 'seed'].includes(key)) throw new Error(`sequential: unknown option '${key}' (known: layers, name, seed)`);
    }
    if (!Array.isArray(o.layers) || o.layers.length === 0) throw new Error('sequential: option \'layers\' must be a non-empty array of layers');
    const layers = o.layers.map((layer, i) => {
      if (!(layer instanceof Layer)) throw new Error(`sequential: layers[${i}] is not a layer from aw.layers`);
      const spec = layer.toJSON();
      for (const key of MODEL_LEVEL_KEYS) if (layer.options[key] !== undefined) spec.config[key] = layer.options[key];
      return spec;
    });
    return modelFromConfig({ className: 'Sequential', config: { name: o.name ?? 'sequential', layers } }, o.seed);
  }

  function loadModel(bytes) {
    if (!(bytes instanceof Uint8Array)) {
      if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
      else throw new Error('loadModel: expected the Uint8Array that model.save() returned');
    }
    const buffer = new M.Bytes(bytes.length);
    try {
      buffer.view().set(bytes);
      return new Model(M.Model.load(buffer));
    } finally {
      buffer.delete();
    }
  }

  // One factory per layer type the core registers: the core's registry is the only list.
  const layers = {};
  for (const name of JSON.parse(M.layerFactoryNames())) layers[name] = (options) => new Layer(name, options);

  const simd = M.simdArchitecture();
  return Object.freeze({
    version: M.version(),
    backend: simd === 'scalar' ? 'wasm' : 'wasm-simd128',
    simdArchitecture: simd,
    tensor: (values, shape) => tensor(values, shape),
    input,
    model,
    sequential,
    layers: Object.freeze(layers),
    loadModel,
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
