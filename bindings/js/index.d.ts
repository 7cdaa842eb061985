// Hand-written types for attention-wasm (see API.md). Checked by `tsc --noEmit` on
// tests/js/types-usage.ts.

export type Float = Float32Array;
export interface Tensor<D extends Float32Array | Int32Array = Float32Array | Int32Array> {
  data: D;
  shape: number[];
}
type Nested = number | Nested[];
export type TensorLike = Tensor | Float32Array | Int32Array | Nested[];
/** One tensor-like per model input (or output), or a single one for single-input models. */
export type Inputs = TensorLike | TensorLike[];

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'elu' | 'gelu' | 'softplus';
export type InitializerName = 'zeros' | 'ones' | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' |
  'orthogonal' | 'randomUniform' | 'randomNormal';
export type Initializer = InitializerName | { type: InitializerName | 'constant'; [option: string]: unknown };
export interface Regularizer { l1?: number; l2?: number }

export interface LayerOptions {
  name?: string;
  /** Per-sample input shape, on the first layer of a Sequential model. */
  inputShape?: number[];
}

export interface SymbolicTensor {
  readonly shape: (number | null)[];
}

export interface Layer<Out = SymbolicTensor> {
  /** The factory name: 'dense', 'lstm', ... */
  readonly type: string;
  readonly name: string | undefined;
  apply(inputs: SymbolicTensor | SymbolicTensor[]): Out;
  /** The layer as plain data, wrapped layers (bidirectional, timeDistributed) included. */
  toJSON(): { className: string; config: Record<string, unknown> };
}

export interface DenseOptions extends LayerOptions {
  units: number; activation?: ActivationName; useBias?: boolean;
  kernelInitializer?: Initializer; biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer; biasRegularizer?: Regularizer;
}
export interface RecurrentOptions extends LayerOptions {
  units: number; returnSequences?: boolean; returnState?: boolean; goBackwards?: boolean;
  activation?: ActivationName; recurrentActivation?: ActivationName; useBias?: boolean;
  kernelInitializer?: Initializer; recurrentInitializer?: Initializer; biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer;
}
export interface LstmOptions extends RecurrentOptions { unitForgetBias?: boolean }
/** A 1-D window size: n or [n] (Keras' tuple spelling). */
export type WindowSize = number | [number];
export interface Conv1DOptions extends LayerOptions {
  filters: number; kernelSize: WindowSize; strides?: WindowSize; padding?: 'valid' | 'same' | 'causal';
  dilationRate?: WindowSize; dataFormat?: 'channelsLast'; activation?: ActivationName; useBias?: boolean;
  kernelInitializer?: Initializer; biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer; biasRegularizer?: Regularizer;
}
export interface Pooling1DOptions extends LayerOptions {
  poolSize?: WindowSize; strides?: WindowSize; padding?: 'valid' | 'same'; dataFormat?: 'channelsLast';
}
export interface GruOptions extends RecurrentOptions { resetAfter?: boolean }

export type KerasSource =
  | { modelJson: string | Record<string, unknown>; weights?: (Uint8Array | ArrayBuffer)[] | Record<string, Uint8Array | ArrayBuffer> }
  | File[] | FileList | Uint8Array | ArrayBuffer | Blob;

export interface Layers {
  dense(options: DenseOptions): Layer;
  activation(options: LayerOptions & { activation: ActivationName }): Layer;
  dropout(options: LayerOptions & { rate: number }): Layer;
  flatten(options?: LayerOptions): Layer;
  reshape(options: LayerOptions & { targetShape: number[] }): Layer;
  permute(options: LayerOptions & { dims: number[] }): Layer;
  repeatVector(options: LayerOptions & { n: number }): Layer;
  /** Keras' `weights` option is not supported: load a matrix with model.setWeights() after building. */
  embedding(options: LayerOptions & { inputDim: number; outputDim: number; maskZero?: boolean; inputLength?: number;
    embeddingsInitializer?: Initializer; embeddingsRegularizer?: Regularizer }): Layer;
  batchNormalization(options?: LayerOptions & { axis?: number; momentum?: number; epsilon?: number;
    center?: boolean; scale?: boolean }): Layer;
  layerNormalization(options?: LayerOptions & { axis?: number; epsilon?: number; center?: boolean; scale?: boolean }): Layer;
  timeDistributed(options: LayerOptions & { layer: Layer }): Layer;
  globalAveragePooling1D(options?: LayerOptions): Layer;
  conv1D(options: Conv1DOptions): Layer;
  maxPooling1D(options?: Pooling1DOptions): Layer;
  averagePooling1D(options?: Pooling1DOptions): Layer;
  globalMaxPooling1D(options?: LayerOptions): Layer;
  /** Masks the steps whose features all equal maskValue (default 0), as keras.layers.Masking. */
  masking(options?: LayerOptions & { maskValue?: number }): Layer;
  spatialDropout1D(options: LayerOptions & { rate: number }): Layer;
  lambdaSum(options: LayerOptions & { axis: number }): Layer;
  multiply(options?: LayerOptions): Layer;
  add(options?: LayerOptions): Layer;
  average(options?: LayerOptions): Layer;
  maximum(options?: LayerOptions): Layer;
  concatenate(options?: LayerOptions & { axis?: number }): Layer;
  dot(options: LayerOptions & { axes: number | [number, number]; normalize?: boolean }): Layer;
  lstm(options: LstmOptions): Layer<SymbolicTensor | SymbolicTensor[]>;
  gru(options: GruOptions): Layer<SymbolicTensor | SymbolicTensor[]>;
  simpleRNN(options: RecurrentOptions): Layer<SymbolicTensor | SymbolicTensor[]>;
  bidirectional(options: LayerOptions & { layer: Layer<any>; mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' }): Layer;
  attention(options?: LayerOptions & { units?: number; score?: 'luong' | 'bahdanau' }): Layer;
  additiveSelfAttention(options?: LayerOptions & { returnSequences?: boolean }): Layer;
  timeAttention(options?: LayerOptions & { singleVector?: boolean }): Layer;
  featureAttention(options?: LayerOptions): Layer;
  dotAttention(options?: LayerOptions & { useScale?: boolean; scoreMode?: 'dot' | 'concat'; dropout?: number;
    causal?: boolean }): Layer;
  additiveAttention(options?: LayerOptions & { useScale?: boolean; dropout?: number; causal?: boolean }): Layer;
  multiHeadAttention(options: LayerOptions & { numHeads: number; keyDim: number; valueDim?: number;
    useBias?: boolean; dropout?: number; causal?: boolean }): Layer;
}

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';
export type Optimizer = OptimizerName
  | { type: 'adam'; learningRate?: number; beta1?: number; beta2?: number; epsilon?: number }
  | { type: 'sgd'; learningRate?: number; momentum?: number; nesterov?: boolean }
  | { type: 'rmsprop'; learningRate?: number; rho?: number; momentum?: number; epsilon?: number };
export type LossName = 'mse' | 'mae' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

export interface CompileOptions {
  optimizer: Optimizer;
  /** One loss, one per output (in output order), or one per output name. */
  loss: LossName | LossName[] | Record<string, LossName>;
  metrics?: ('accuracy' | 'mse' | 'mae')[];
}
export type Logs = Record<string, number>;
export interface Callbacks {
  onTrainBegin?(): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs, progress: { epoch: number; samplesSeen: number; samples: number }): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
}
export interface FitOptions {
  epochs?: number; batchSize?: number; validationSplit?: number; validationData?: [Inputs, Inputs];
  /** Keras' sample_weight: one weight per sample (or a list, one per output). */
  sampleWeight?: TensorLike | TensorLike[];
  /** Keras' class_weight: {classId: weight} for a one-output model. */
  classWeight?: Record<number, number>;
  shuffle?: boolean; seed?: number; signal?: AbortSignal; callbacks?: Callbacks; verbose?: number;
}
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  params: { epochs: number; samples: number };
  /** True when training ended early through the AbortSignal or model.stopTraining. */
  stopped: boolean;
}
export interface Weight { name: string; shape: number[]; data: Float32Array }
export interface InputInfo { name: string; shape: (number | null)[] }
export interface LayerInfo {
  name: string; type: string; outputShape: (number | null)[] | (number | null)[][]; params: number;
  /** The layer reports attention weights: model.getAttention(x, { layer: name }) works on it. */
  attention: boolean;
}

export interface Model {
  readonly name: string;
  readonly inputCount: number;
  readonly outputCount: number;
  readonly layers: LayerInfo[];
  readonly inputs: InputInfo[];
  /** Options loadKerasModel left out because they act only in training (recurrent dropouts). */
  readonly importWarnings: string[];
  readonly isDisposed: boolean;
  /** Set to true (e.g. in a callback) to end fit() after the current batch. */
  stopTraining: boolean;
  compile(options: CompileOptions): void;
  fit(x: Inputs, y: Inputs, options?: FitOptions): Promise<History>;
  predict(x: Inputs, options?: { batchSize?: number }): Tensor<Float32Array> | Tensor<Float32Array>[];
  evaluate(x: Inputs, y: Inputs, options?: { batchSize?: number }): { loss: number; accuracy?: number; [metric: string]: number | undefined };
  trainOnBatch(x: Inputs, y: Inputs): { loss: number; [metric: string]: number };
  getAttention(x: Inputs, options?: { layer?: string }): Tensor<Float32Array>;
  getActivations(x: Inputs, layer: string, options?: { batchSize?: number }): Tensor<Float32Array> | Tensor<Float32Array>[];
  summary(print?: ((text: string) => void) | null): string;
  countParams(): number;
  getWeights(): Weight[];
  setWeights(weights: (Weight | { data: Float32Array | number[]; shape?: number[]; name?: string })[]): void;
  save(): Uint8Array;
  toJSON(): object;
  dispose(): void;
}

export interface Tokenizer {
  readonly numWords: number | null;
  readonly oovToken: string | null;
  readonly wordCounts: Map<string, number>;
  readonly documentCount: number;
  fit(texts: string[]): Tokenizer;
  textsToSequences(texts: string[]): number[][];
  sequencesToTexts(sequences: number[][]): string[];
  readonly wordIndex: Map<string, number>;
  readonly indexWord: Map<number, string>;
  toJSON(): object;
}
export interface TokenizerOptions { numWords?: number; oovToken?: string; lower?: boolean; filters?: string;
  split?: string; charLevel?: boolean }
export interface PadOptions { maxLen?: number; padding?: 'pre' | 'post'; truncating?: 'pre' | 'post'; value?: number }

export declare function padSequences(sequences: (number[] | Int32Array)[], options?: PadOptions): Tensor<Int32Array>;
export declare function tensor(values: TensorLike, shape?: number[]): Tensor;
export declare const text: {
  tokenizer: ((options?: TokenizerOptions) => Tokenizer) & { fromJSON(json: object | string): Tokenizer };
};

export interface AttentionWasm {
  readonly version: string;
  /** The module loaded: 'wasm-relaxed-simd' where the host validates relaxed SIMD (FMA),
   * '-threads' when training runs on several threads. */
  readonly backend: 'wasm-simd128' | 'wasm-relaxed-simd' | 'wasm-simd128-threads' | 'wasm-relaxed-simd-threads';
  /** Threads training runs on (1 where memory cannot be shared between threads). */
  readonly threads: number;
  /** Trains on `count` threads from the next batch on: 1 up to the threads init() started
   * (a page cannot start more later). Returns the count. */
  setThreads(count: number): number;
  /** Shards every batch is cut into whatever the thread count (0, the default: one per thread).
   * With a count k >= 1 a model trains, predicts, evaluates and reports attention and
   * activations to the same numbers, to the bit, on any number of threads (with k at least the
   * thread count, every thread gets a shard). */
  readonly fixedShards: number;
  /** Sets fixedShards (a whole number from 0 to 64, else an Error) from the next batch on;
   * returns it. */
  setFixedShards(count: number): number;
  readonly simdArchitecture: string;
  /** Whether the kernels' multiply-adds round once (measured: relaxed SIMD on a CPU with FMA). */
  readonly fusedMultiplyAdd: boolean;
  tensor(values: TensorLike, shape?: number[]): Tensor;
  input(options: { shape: number[]; name?: string; dtype?: 'float32' | 'int32' }): SymbolicTensor;
  model(options: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[];
    name?: string; seed?: number }): Model;
  sequential(options: { layers: Layer<any>[]; name?: string; seed?: number }): Model;
  readonly layers: Layers;
  loadModel(bytes: Uint8Array | ArrayBuffer): Model;
  /** A Keras model saved as a TF.js Layers model: model.json and its weight shards. */
  loadKerasModel(source: KerasSource, options?: { customLayers?: Record<string, { className: string; config?: Record<string, unknown> }> }): Promise<Model>;
  readonly text: typeof text;
  padSequences: typeof padSequences;
  /** Size of the wasm memory in bytes (it grows, never shrinks). */
  memoryBytes(): number;
  /** wasm objects alive (models, fit sessions, staging buffers); flat when nothing leaks. */
  liveHandles(): number;
  /** Bytes of wasm heap allocated and not freed (memoryBytes() only ever grows). */
  heapBytesInUse(): number;
}

export declare function init(options?: { locateFile?: (path: string, prefix: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Threads to train on (default: the host's cores, at most 4); 1 loads the single-threaded variant. */
  threads?: number;
  /** The relaxed-SIMD (FMA) module: default where the host validates it; false keeps SIMD128,
   * whose numbers do not depend on the CPU; true fails where it is not supported. */
  relaxedSimd?: boolean }): Promise<AttentionWasm>;
