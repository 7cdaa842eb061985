// The functional API's symbolic graph: layers record where they are applied; the core checks
// each layer's options when the factory is called, builds that same layer on the symbolic
// shapes at apply(), and writes the model config from the recorded graph (functionalConfig).
import { ownHandle, releaseHandle } from './handles.js';
import { plainOptions, toJson } from './marshal.js';

// Model-level keys a layer's options may carry (Keras' inputShape on a Sequential's first layer).
export const MODEL_LEVEL_KEYS = ['inputShape', 'batchInputShape'];

export function createGraph(M) {
  // ---- symbolic graph (functional API) ---------------------------------------------------
  class SymbolicTensor {
    constructor(node, index, shape) {
      this.node = node;
      this.index = index;
      this.shape = [null, ...shape];
    }
  }

  class Layer {
    #core = null;  // the core's layer, from the factory call until a model or apply() takes it
    constructor(type, options) {
      this.type = type;
      this.options = { ...plainOptions(options, type) };
      this.node = null;
      // The core creates the layer now, so bad options fail where the mistake is made (as Keras'
      // constructors do); apply() builds this same layer.
      this.#coreLayer();
      // A wrapped layer (bidirectional, timeDistributed) lives on as a part of this one's spec.
      for (const value of Object.values(this.options)) if (value instanceof Layer) value.taken();
    }
    #coreLayer() {
      if (!this.#core) {
        const spec = this.toJSON();
        this.#core = ownHandle(this, M.LayerHandle.create(spec.className, toJson(spec.config)));
      }
      return this.#core;
    }
    // Its spec is now in a model or a wrapper: free the core's layer (apply() would make it anew).
    taken() {
      releaseHandle(this, this.#core);
      this.#core = null;
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
      const outputShapes = this.#coreLayer().outputShapes(list.map((t) => t.shape.slice(1)));
      this.taken();
      this.node = { layer: this, spec: this.toJSON(), inputs: list, name: this.options.name ?? null };
      const outputs = outputShapes.map((shape, i) => new SymbolicTensor(this.node, i, shape));
      return outputs.length === 1 ? outputs[0] : outputs;
    }
  }

  function input(options) {
    const o = plainOptions(options, 'input');
    // The core checks the options and the shape (the rule model configs use).
    const shape = JSON.parse(M.inputShape(toJson(o)));
    const node = { input: true, shape, name: o.name ?? null };
    return new SymbolicTensor(node, 0, shape);
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

  const layers = {};
  for (const name of JSON.parse(M.layerFactoryNames())) layers[name] = (options) => new Layer(name, options);


  return { SymbolicTensor, Layer, input, functionalConfig, layers };
}
