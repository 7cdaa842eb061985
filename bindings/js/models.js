// The Model wrapper: owns a wasm model handle, marshals data in and out, and runs fit as an
// async loop over the core's FitSession (one batch a step) that yields to the event loop.
import { MODEL_LEVEL_KEYS } from './graph.js';
import { ownHandle, releaseHandle } from './handles.js';
import { plainOptions, toJson } from './marshal.js';
import { tensor } from './tensor.js';

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

export function createModels(M, { toWasmList, tensorsOf, listFromWasm, readLogs }, { Layer, functionalConfig }) {
  // ---- models ----------------------------------------------------------------------------
  class Model {
    #handle;
    #logNames = null;  // of trainOnBatch's logs, since the last compile
    constructor(handle) {
      this.#handle = ownHandle(this, handle);  // freed by dispose()
      this.stopTraining = false;
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
      this.#logNames = null;
    }

    // x into wasm, call(handle, xs, optionsJson) over it, its result back out as tensors.
    #overInputs(entry, x, options, call) {
      const o = plainOptions(options, entry);
      const h = this.#live;
      const xs = toWasmList(x, h.inputCount(), `${entry}: x`, 'input');
      try {
        const out = call(h, xs, toJson(o));
        try { return listFromWasm(out, true); } finally { out.delete(); }
      } finally {
        xs.delete();
      }
    }

    // predict and trainOnBatch copy their data into the lists the model keeps in wasm (resized in
    // place: no handle or allocation per call; the core frees a staged data set past 4 MB).
    predict(x, options = {}) {
      const o = plainOptions(options, 'predict');
      const h = this.#live;
      tensorsOf(x, h.inputCount(), 'predict: x', 'input').forEach((t, i) => h.stageInput(i, t.shape).set(t.data));
      const out = h.predict(toJson(o));
      try { return listFromWasm(out, true); } finally { out.delete(); }
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
      const xs = tensorsOf(x, h.inputCount(), 'trainOnBatch: x', 'input');
      const ys = tensorsOf(y, h.outputCount(), 'trainOnBatch: y', 'output');
      xs.forEach((t, i) => h.stageInput(i, t.shape).set(t.data));
      ys.forEach((t, i) => h.stageTarget(i, t.shape).set(t.data));
      h.trainOnBatch();
      // Log names change only with compile(); the values are read from the core's logs.
      const values = h.logValues();
      if (this.#logNames?.length !== values.length) this.#logNames = JSON.parse(h.logNames());
      return readLogs(this.#logNames, values);
    }

    async fit(x, y, options = {}) {
      const o = { ...plainOptions(options, 'fit') };
      const { callbacks = {}, signal, validationData, sampleWeight } = o;
      delete o.callbacks; delete o.signal; delete o.validationData; delete o.sampleWeight;
      if (o.verbose !== undefined) delete o.verbose;
      const h = this.#live;
      const handles = [];
      let session = null;
      try {
        const xs = toWasmList(x, h.inputCount(), 'fit: x', 'input'); handles.push(xs);
        const ys = toWasmList(y, h.outputCount(), 'fit: y', 'output'); handles.push(ys);
        // Absent extras go as empty lists.
        let vx = new M.TensorList(), vy = new M.TensorList(), weights = new M.TensorList();
        handles.push(vx, vy, weights);
        if (validationData !== undefined) {
          if (!Array.isArray(validationData) || validationData.length !== 2) {
            throw new Error('fit: option \'validationData\' must be [x, y]');
          }
          vx = toWasmList(validationData[0], h.inputCount(), 'fit: validationData x', 'input'); handles.push(vx);
          vy = toWasmList(validationData[1], h.outputCount(), 'fit: validationData y', 'output'); handles.push(vy);
        }
        if (sampleWeight !== undefined) {
          weights = toWasmList(sampleWeight, h.outputCount(), 'fit: sampleWeight', 'output'); handles.push(weights);
        }
        session = h.beginFit(xs, ys, vx, vy, weights, toJson(o));
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
      return this.#overInputs('getAttention', x, options, (h, xs, o) => h.getAttention(xs, o));
    }

    getActivations(x, layerName, options = {}) {
      this.#live;  // a disposed model says so first
      if (typeof layerName !== 'string') throw new Error('getActivations: the layer name must be a string');
      return this.#overInputs('getActivations', x, options, (h, xs, o) => h.getActivations(xs, layerName, o));
    }

    summary(print = console.log) {
      const text = this.#live.summary();
      if (print) print(text);
      return text;
    }
    countParams() { return this.#live.countParams(); }
    get layers() { return JSON.parse(this.#live.layersJson()); }
    get inputs() { return JSON.parse(this.#live.inputsJson()); }
    // What loadKerasModel left out (options that act only in training), as sentences.
    get importWarnings() { return JSON.parse(this.#live.importWarnings()); }
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
      releaseHandle(this, this.#handle);
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
    const model = modelFromConfig({ className: 'Sequential', config: { name: o.name ?? 'sequential', layers } }, o.seed);
    for (const layer of o.layers) layer.taken();
    return model;
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

  return { Model, model, sequential, loadModel };
}
