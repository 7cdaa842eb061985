// The whole public API, typed against dist/index.d.ts and dist/viz.d.ts. Checked by
// `tsc -p tests/js` (tests/js/types.test.mjs); never run. Each expect-error directive below marks
// a misuse the types must reject: if one stops being an error, tsc fails.
import { init, padSequences, tensor, text } from 'attention-wasm';
import type { AttentionWasm, CompileOptions, FitOptions, History, LayerInfo, Logs, Model, SymbolicTensor,
  Tensor, Tokenizer, Weight } from 'attention-wasm';
import { colorFor, highlightTokens, renderHeatmap } from 'attention-wasm/viz';

export async function everything(): Promise<void> {
  const aw: AttentionWasm = await init();
  const same: AttentionWasm = await init({ locateFile: (path: string, prefix: string) => prefix + path });
  const single: AttentionWasm = await init({ threads: 1 });
  const version: string = aw.version;
  const backend: 'wasm-simd128' | 'wasm-relaxed-simd' | 'wasm-simd128-threads' | 'wasm-relaxed-simd-threads' = aw.backend;
  const fused: boolean = aw.fusedMultiplyAdd;
  const plain: AttentionWasm = await init({ threads: 2, relaxedSimd: false });
  void fused; void plain;
  const threads: number = aw.threads;
  const bytesInUse: number = aw.heapBytesInUse() + aw.memoryBytes();
  void same; void single; void version; void backend; void threads; void bytesInUse;
  // @ts-expect-error threads is a number
  await init({ threads: 'all' });
  // @ts-expect-error relaxedSimd is a boolean
  await init({ relaxedSimd: 'yes' });

  // Tensors
  const a: Tensor = aw.tensor(new Float32Array(6), [2, 3]);
  const b: Tensor = tensor([[1, 2], [3, 4]]);
  const ids: Tensor = aw.tensor(new Int32Array([1, 2, 3]), [1, 3]);
  void a; void b; void ids;
  // @ts-expect-error a string is not tensor data
  aw.tensor('abc');

  // Layers and the functional API
  const L = aw.layers;
  const x: SymbolicTensor = aw.input({ shape: [20, 1], name: 'x' });
  const tokens = aw.input({ shape: [12], dtype: 'int32' });
  // @ts-expect-error dtype is float32 or int32
  aw.input({ shape: [2], dtype: 'float64' });
  const e = L.embedding({ inputDim: 100, outputDim: 8, maskZero: true, embeddingsInitializer: 'randomUniform' }).apply(tokens);
  // @ts-expect-error the core refuses 'weights': use setWeights after building
  L.embedding({ inputDim: 3, outputDim: 2, weights: [[1, 2], [3, 4], [5, 6]] });
  const r = L.lstm({ units: 64, returnSequences: true, goBackwards: false }).apply(x);
  const [seq, h, c] = L.lstm({ units: 4, returnState: true }).apply(x) as SymbolicTensor[];
  void seq; void h; void c;
  const att = L.attention({ units: 32, score: 'luong', name: 'attn' }).apply(r as SymbolicTensor);
  // @ts-expect-error score is luong or bahdanau
  L.attention({ score: 'dot' });
  const g = L.gru({ units: 8, resetAfter: true, returnSequences: true }).apply(e);
  const s = L.simpleRNN({ units: 8, returnSequences: true }).apply(g as SymbolicTensor);
  const bi = L.bidirectional({ layer: L.lstm({ units: 4, returnSequences: true }), mergeMode: 'concat' }).apply(s as SymbolicTensor);
  const td = L.timeDistributed({ layer: L.dense({ units: 3, activation: 'relu', kernelRegularizer: { l2: 0.01 } }) }).apply(bi);
  const self = L.additiveSelfAttention({ returnSequences: true }).apply(td);
  const ta = L.timeAttention({ singleVector: true }).apply(self);
  const q = aw.input({ shape: [4, 3] });
  const v = aw.input({ shape: [6, 3] });
  const d1 = L.dotAttention({ useScale: true, scoreMode: 'dot', dropout: 0.1, causal: false }).apply([q, v]);
  const d2 = L.additiveAttention({ useScale: true }).apply([q, v, v]);
  const m1 = L.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 3, useBias: true }).apply([q, v]);
  const merged = L.concatenate({ axis: -1 }).apply([L.add().apply([d1, d2]), L.multiply().apply([d1, m1])]);
  const flat = L.flatten().apply(L.permute({ dims: [2, 1] }).apply(merged));
  const pooled = L.globalAveragePooling1D().apply(ta);
  const summed = L.lambdaSum({ axis: -2 }).apply(ta);
  const dotted = L.dot({ axes: 1 }).apply([pooled, summed]);
  const fa = L.featureAttention().apply(L.layerNormalization().apply(L.batchNormalization().apply(flat)));
  const rep = L.reshape({ targetShape: [2, 1] }).apply(L.repeatVector({ n: 2 }).apply(dotted));
  const out = L.dense({ units: 1 }).apply(L.dropout({ rate: 0.2 }).apply(L.activation({ activation: 'tanh' }).apply(att)));
  void fa; void rep;
  // @ts-expect-error units is required
  L.dense({});
  // @ts-expect-error unknown activation
  L.dense({ units: 1, activation: 'swish2' });
  const spec: { className: string; config: Record<string, unknown> } = L.dense({ units: 2 }).toJSON();
  void spec;

  const model: Model = aw.model({ inputs: x, outputs: out, name: 'm', seed: 1 });
  const twoInputs: Model = aw.model({ inputs: [q, v], outputs: [d1, m1] });
  const sequential: Model = aw.sequential({ layers: [L.dense({ units: 2, inputShape: [3] }), L.dense({ units: 1 })], seed: 2 });

  // Training
  const options: CompileOptions = { optimizer: { type: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    loss: 'mse', metrics: ['accuracy'] };
  model.compile(options);
  sequential.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
  twoInputs.compile({ optimizer: { type: 'rmsprop', rho: 0.9 }, loss: ['mse', 'mae'] });
  twoInputs.compile({ optimizer: { type: 'sgd', momentum: 0.9, nesterov: true }, loss: { dot_attention: 'mse', multi_head_attention: 'mae' } });
  // @ts-expect-error unknown loss
  model.compile({ optimizer: 'adam', loss: 'hinge2' });
  // @ts-expect-error unknown optimizer
  model.compile({ optimizer: 'adamw', loss: 'mse' });
  const controller = new AbortController();
  const fitOptions: FitOptions = {
    epochs: 2, batchSize: 8, validationSplit: 0.2, shuffle: true, seed: 7, signal: controller.signal,
    callbacks: {
      onBatchEnd(batch: number, logs: Logs) { void batch; void logs.loss; },
      async onEpochEnd(epoch: number, logs: Logs) { if (epoch > 3 && logs.loss < 0.1) model.stopTraining = true; },
    },
  };
  const xs = { data: new Float32Array(20 * 8), shape: [8, 20, 1] };
  const ys = { data: new Float32Array(8), shape: [8, 1] };
  const history: History = await model.fit(xs, ys, fitOptions);
  const losses: number[] = history.history.loss;
  const stopped: boolean = history.stopped;
  void losses; void stopped;
  await model.fit(xs, ys, { validationData: [xs, ys] });
  await model.fit(xs, ys, { sampleWeight: [1, 2, 0.5], classWeight: { 0: 1, 1: 4 } });
  const few = model.getActivations(xs, 'dense', { batchSize: 8 });
  void few;
  // @ts-expect-error epochs is a number
  await model.fit(xs, ys, { epochs: '3' });
  const p = model.predict(xs, { batchSize: 4 }) as Tensor<Float32Array>;
  const pd: Float32Array = p.data;
  void pd;
  const ev: number = model.evaluate(xs, ys).loss;
  const acc: number | undefined = model.evaluate(xs, ys, { batchSize: 2 }).accuracy;
  const tb: number = model.trainOnBatch(xs, ys).loss;
  void ev; void acc; void tb;
  twoInputs.predict([{ data: new Float32Array(12), shape: [1, 4, 3] }, [[[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]]]);

  // Looking inside
  const weightsAttn: Tensor<Float32Array> = model.getAttention(xs, { layer: 'attn' });
  const defaultAttn = model.getAttention(xs);
  const acts = model.getActivations(xs, 'attn');
  const table: string = model.summary();
  model.summary(null);
  model.summary((line: string) => console.log(line));
  const count: number = model.countParams();
  const weights: Weight[] = model.getWeights();
  model.setWeights(weights);
  model.setWeights([{ data: [1, 2], shape: [2, 1] }]);
  const layers: LayerInfo[] = model.layers;
  const first: string = layers[0].name;
  const reportsAttention: boolean = layers[0].attention;
  const inputShape: (number | null)[] = model.inputs[0].shape;
  void reportsAttention; void inputShape;
  void weightsAttn; void defaultAttn; void acts; void table; void count; void first;

  // Saving
  const bytes: Uint8Array = model.save();
  const loaded: Model = aw.loadModel(bytes);
  aw.loadModel(bytes.buffer as ArrayBuffer);
  const config: object = loaded.toJSON();
  void config;
  loaded.dispose();
  const disposed: boolean = loaded.isDisposed;
  void disposed;
  // @ts-expect-error loadModel takes bytes
  aw.loadModel('model.atwm');

  // Text
  const tok: Tokenizer = aw.text.tokenizer({ numWords: 5000, oovToken: '<unk>', lower: true });
  tok.fit(['a b c']);
  const sequences: number[][] = tok.textsToSequences(['a b']);
  const padded: Tensor<Int32Array> = aw.padSequences(sequences, { maxLen: 100, padding: 'pre', truncating: 'post' });
  const padded2: Tensor<Int32Array> = padSequences(sequences);
  const restored: Tokenizer = aw.text.tokenizer.fromJSON(tok.toJSON());
  text.tokenizer.fromJSON(JSON.stringify(tok.toJSON()));
  const index: number | undefined = restored.wordIndex.get('a');
  void padded; void padded2; void index;
  // @ts-expect-error padding is pre or post
  aw.padSequences(sequences, { padding: 'middle' });

  // Showing attention
  const canvas: HTMLCanvasElement = renderHeatmap(document.createElement('div'), defaultAttn, { rowLabels: ['a'], truth: [1] });
  highlightTokens(document.createElement('p'), ['a', 'b'], [0.2, 0.8]);
  highlightTokens(document.createElement('p'), ['a', 'b'], [0.2, 0.8], { normalize: 'stretch' });
  renderHeatmap(document.createElement('div'), defaultAttn, { normalize: 'stretch' });
  const color: string = colorFor(0.5);
  void canvas; void color;

  model.dispose();
  twoInputs.dispose();
  sequential.dispose();
}
