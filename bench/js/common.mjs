// Shared by every JS benchmark run (Node and Chromium, attention-wasm and TF.js): the models of
// bench/models.json built in each library, their random data, and the timing loop. Nothing here
// imports a library: callers pass `aw` (attention-wasm's API) or `tf`, so the same file runs in
// Node and, served as a module, in the browser.

// ---- data: a small seeded generator (mulberry32), the recipe of bench/bench_models.cpp ----------
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DATA_BATCHES = 4;

// The model entry to build for a models.json entry (a predict entry names a train entry).
export function resolveSpec(all, entry) {
  return entry.same ? all.models.find((m) => m.name === entry.same) : entry;
}

// DATA_BATCHES batches of {x: {data, shape}, y: {data, shape}} for the model: inputs uniform in
// [-1, 1), token ids uniform in [1, vocab), targets 0/1 for binary cross-entropy, else ~normal.
export function makeBatches(spec, batch, outputs = 1, seed = 3) {
  const next = random(seed);
  const ids = spec.input.dtype === 'int32';
  const binary = spec.loss === 'binaryCrossentropy';
  const perSample = spec.input.shape.reduce((a, b) => a * b, 1);
  const batches = [];
  for (let b = 0; b < DATA_BATCHES; b++) {
    const x = ids ? new Int32Array(batch * perSample) : new Float32Array(batch * perSample);
    for (let i = 0; i < x.length; i++) x[i] = ids ? 1 + Math.floor(next() * (spec.input.vocab - 1)) : next() * 2 - 1;
    const y = new Float32Array(batch * outputs);
    for (let i = 0; i < y.length; i++) {
      y[i] = binary ? (next() < 0.5 ? 0 : 1) : Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    }
    batches.push({ x: { data: x, shape: [batch, ...spec.input.shape] }, y: { data: y, shape: [batch, outputs] } });
  }
  return batches;
}

// ---- timing --------------------------------------------------------------------------------------
// Warm-up and budget per model: attention-wasm's steps take milliseconds; TF.js takes seconds per
// step on the recurrent models, so it gets 1 warm-up step (its first step builds the graph; the
// second is already steady) and at least 3 timed steps or 1.5 s per model. Ours on several thread
// counts (benchOursThreads' paired rounds) gets pairedBudgetMs per count: bench/README.md, Threads.
export const OURS_TIMING = { warmupRuns: 10, warmupMs: 500, minRuns: 15, budgetMs: 1500, pairedBudgetMs: 4000 };
export const TFJS_TIMING = { warmupRuns: 1, warmupMs: 0, minRuns: 3, budgetMs: 1500 };

const now = () => performance.now();

// Warms up (V8 tiers wasm and JS up on re-entry: at least `warmupRuns` calls and `warmupMs`;
// short steps get the whole `warmupMs` too: capped at 200 calls, dense-attention's 0.07 ms steps
// were timed while TurboFan still compiled in the background, CPU time 1.7x the wall time),
// then times calls (one per sample, or several when they are very short) until `minRuns` and `budgetMs` are both reached (at most `maxRuns`).
// `step(i)` may return a promise. Returns ms per call: median, mean, best, and the run count;
// with `cpuClock` (ms of CPU time this process used, Node: process.cpuUsage) also the mean CPU
// ms per call, the figure that other processes on a loaded machine disturb least.
export async function timeSteps(step, { warmupRuns = 5, warmupMs = 500, minRuns = 7, budgetMs = 2000, maxRuns = 200, cpuClock = null } = {}) {
  let i = 0;
  const warmStart = now();
  while (i < warmupRuns || now() - warmStart < warmupMs) await step(i++);
  // Browsers round performance.now() to 0.1 ms or coarser: a sample of very short steps times
  // several of them (at least ~2 ms), and records the time per step.
  // Steps of several seconds (TF.js' cpu backend on the recurrent models) get 2 timed runs, or
  // 1 beyond 10 s, so that the whole comparison stays within minutes (the ratios there are in
  // the hundreds, far beyond what one run's noise changes); latest.json records every run count.
  const warmStepMs = (now() - warmStart) / i;
  if (warmStepMs > 3000) minRuns = Math.min(minRuns, warmStepMs > 10000 ? 1 : 2);
  let perSample = 0;
  for (const calibrate = now(); now() - calibrate < 2; perSample++) await step(i++);
  const times = [];
  let steps = 0;
  const cpuStart = cpuClock?.();
  const start = now();
  while (times.length < maxRuns && (times.length < minRuns || now() - start < budgetMs)) {
    const t0 = now();
    for (let k = 0; k < perSample; k++) await step(i++);
    times.push((now() - t0) / perSample);
    steps += perSample;
  }
  const cpuMs = cpuClock ? (cpuClock() - cpuStart) / steps : null;
  return { ...summarize(times), stepsPerRun: perSample, cpuMs, times, steps };
}

function summarize(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    medianMs: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    bestMs: sorted[0],
    runs: times.length,
  };
}

const median = (values) => summarize(values).medianMs;

// How many times faster `fast` ran than `slow`, two thread counts of one benchOursThreads call:
// the median over the rounds of each round's ratio. A round's pair ran back to back, in the same
// phase of the machine's load, so a slow phase moves both sides of a ratio, not one.
export function pairedSpeedup(slow, fast) {
  return median(slow.roundMedians.map((ms, round) => ms / fast.roundMedians[round]));
}

// ---- attention-wasm ----------------------------------------------------------------------------
function awLayer(aw, spec) {
  const config = { ...spec.config };
  for (const [key, value] of Object.entries(config)) {
    if (value && typeof value === 'object' && value.className) config[key] = awLayer(aw, value);
  }
  return aw.layers[spec.className](config);
}

export function buildOurs(aw, all, spec) {
  const model = aw.sequential({ name: spec.name.replace(/[^a-zA-Z0-9_]/g, '_'), layers: spec.layers.map((l) => awLayer(aw, l)), seed: 1 });
  model.compile({ optimizer: all.optimizer, loss: spec.loss });
  return model;
}

// attention-wasm's step i of a models.json entry: train -> trainOnBatch, predict -> predict(batch).
function ourStep(model, entry, data, batchSize) {
  return entry.task === 'train'
    ? (i) => { const b = data[i % DATA_BATCHES]; model.trainOnBatch(b.x, b.y); }
    : (i) => { model.predict(data[i % DATA_BATCHES].x, { batchSize }); };
}

// One model's figures with attention-wasm, on the threads init() started (one round).
export async function benchOurs(aw, all, entry, timing) {
  return (await benchOursThreads(aw, all, entry, timing, [aw.threads], 1))[aw.threads];
}

// Every models.json entry (limited to `only`, without `skip`) with one implementation; with ours
// on several threads, each model also runs on one thread of the same module, interleaved
// (oneThread; the 2-thread figures carry speedupVsOneThread). Returns { results, oneThread }, and
// reports each model to `log`.
export async function benchAll({ aw, tf, impl, all, only = null, skip = [], timing, log }) {
  const results = {};
  const oneThread = {};
  for (const entry of all.models) {
    const key = entry.task === 'predict' ? entry.name : resolveSpec(all, entry).name;
    if ((only && !only.includes(key)) || skip.includes(key)) continue;
    const record = (into, label, r) => {
      into[key] = { task: entry.task, batch: all.batchSize, ...r, samplesPerSec: all.batchSize / (r.medianMs / 1000) };
      log(label, r);
    };
    if (impl !== 'ours') record(results, key, await benchTf(tf, all, entry, timing, ourParamCount(aw, all, entry)));
    else if (aw.threads > 1) {
      const byCount = await benchOursThreads(aw, all, entry, timing, [1, aw.threads]);
      record(oneThread, `${key} (1 thread of the same module)`, byCount[1]);
      record(results, key, { ...byCount[aw.threads], speedupVsOneThread: pairedSpeedup(byCount[1], byCount[aw.threads]) });
    } else record(results, key, await benchOurs(aw, all, entry, timing));
  }
  return { results, oneThread };
}

// The rounds of benchOursThreads: short (the budget split 24 ways: a few steps of the BiLSTM)
// because this VM's speed changes in phases of seconds; with 4 rounds one count's median could
// fall in a slow phase the other's missed (bench/README.md, Threads).
const THREAD_ROUNDS = 24;

// One model on the threaded module at each of `counts` threads (aw.setThreads), in interleaved
// rounds on the same model, so that a neighbour loading this shared machine slows every count
// alike instead of one run. Figures over all rounds' steps, and each round's median
// (roundMedians, for pairedSpeedup); returns { [count]: figures }.
export async function benchOursThreads(aw, all, entry, timing, counts, rounds = THREAD_ROUNDS) {
  const budgetMs = rounds > 1 ? timing.pairedBudgetMs : timing.budgetMs;
  const spec = resolveSpec(all, entry);
  const model = buildOurs(aw, all, spec);
  const started = aw.threads;
  try {
    const step = ourStep(model, entry, makeBatches(spec, all.batchSize), all.batchSize);
    const runs = Object.fromEntries(counts.map((count) => [count, { times: [], roundMedians: [], cpuMs: 0, steps: 0, stepsPerRun: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const count of counts) {
        aw.setThreads(count);
        // The first round warms V8 and the pool up; later ones only the caches.
        const r = await timeSteps(step, { ...timing, warmupRuns: round === 0 ? timing.warmupRuns : 2,
          warmupMs: round === 0 ? timing.warmupMs : 0, minRuns: Math.ceil(timing.minRuns / rounds), budgetMs: budgetMs / rounds });
        const run = runs[count];
        run.times.push(...r.times);
        run.roundMedians.push(r.medianMs);
        run.cpuMs += (r.cpuMs ?? 0) * r.steps;
        run.steps += r.steps;
        run.stepsPerRun = r.stepsPerRun;
      }
    }
    return Object.fromEntries(counts.map((count) => {
      const { times, cpuMs, steps, ...run } = runs[count];
      return [count, { params: model.countParams(), ...summarize(times), ...run,
        cpuMs: timing.cpuClock ? cpuMs / steps : null, rounds }];
    }));
  } finally {
    aw.setThreads(started);
    model.dispose();
  }
}

// ---- TensorFlow.js -----------------------------------------------------------------------------
// TF.js has no layer for three of our blocks; these custom layers are the same maths in tf ops,
// with the same parameters (shapes and counts asserted against attention-wasm's).
let tfLayersDefined = null;
function defineTfLayers(tf) {
  if (tfLayersDefined) return tfLayersDefined;
  const glorot = () => tf.initializers.glorotUniform({});

  // featureAttention: a = softmax(x W + b) over features; out = x * a.   x (B, D) -> (B, D)
  class FeatureAttention extends tf.layers.Layer {
    static className = 'BenchFeatureAttention';
    build(inputShape) {
      const d = inputShape[inputShape.length - 1];
      this.kernel = this.addWeight('kernel', [d, d], 'float32', glorot());
      this.bias = this.addWeight('bias', [d], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    computeOutputShape(inputShape) { return inputShape; }
    call(inputs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const a = tf.softmax(tf.add(tf.matMul(x, this.kernel.read()), this.bias.read()));
        return tf.mul(x, a);
      });
    }
  }

  // attention (luong), the many-to-one layer of the `attention` PyPI package:
  //   h_t = x[:, T-1]; score_s = h_t . (h_s W) = h_s . (h_t Wᵀ); a = softmax_s; c = sum_s a_s h_s;
  //   out = tanh([c; h_t] Wc).     x (B, T, D) -> (B, units); W (D, D), Wc (2D, units), no biases.
  class LuongAttention extends tf.layers.Layer {
    static className = 'BenchLuongAttention';
    constructor(config) {
      super(config);
      this.units = config.units;
    }
    build(inputShape) {
      const d = inputShape[inputShape.length - 1];
      this.w = this.addWeight('luong_w', [d, d], 'float32', glorot());
      this.wc = this.addWeight('attention_vector', [2 * d, this.units], 'float32', glorot());
      this.built = true;
    }
    computeOutputShape(inputShape) { return [inputShape[0], this.units]; }
    call(inputs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const [batch, steps, d] = x.shape;
        const last = tf.reshape(tf.slice(x, [0, steps - 1, 0], [batch, 1, d]), [batch, d]);
        const query = tf.matMul(last, this.w.read(), false, true);                     // (B, D)
        const score = tf.reshape(tf.matMul(x, tf.reshape(query, [batch, d, 1])), [batch, steps]);
        const weights = tf.softmax(score);                                             // (B, T)
        const context = tf.reshape(tf.matMul(tf.reshape(weights, [batch, 1, steps]), x), [batch, d]);
        return tf.tanh(tf.matMul(tf.concat([context, last], 1), this.wc.read()));
      });
    }
    getConfig() { return { ...super.getConfig(), units: this.units }; }
  }

  // additiveSelfAttention: e_t = tanh(x_t W + b_t); a = softmax over time; out = sum_t a_t x_t.
  //   x (B, T, D) -> (B, D); W (D, 1), b (T, 1).
  class AdditiveSelfAttention extends tf.layers.Layer {
    static className = 'BenchAdditiveSelfAttention';
    build(inputShape) {
      const [, steps, d] = inputShape;
      this.kernel = this.addWeight('att_weight', [d, 1], 'float32', glorot());
      this.bias = this.addWeight('att_bias', [steps, 1], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    computeOutputShape(inputShape) { return [inputShape[0], inputShape[2]]; }
    call(inputs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const [batch, steps, d] = x.shape;
        const e = tf.tanh(tf.add(tf.reshape(tf.matMul(tf.reshape(x, [batch * steps, d]), this.kernel.read()), [batch, steps, 1]),
                                 this.bias.read()));
        const a = tf.softmax(tf.reshape(e, [batch, steps]));
        return tf.reshape(tf.matMul(tf.reshape(a, [batch, 1, steps]), x), [batch, d]);
      });
    }
  }

  for (const cls of [FeatureAttention, LuongAttention, AdditiveSelfAttention]) tf.serialization.registerClass(cls);
  tfLayersDefined = { FeatureAttention, LuongAttention, AdditiveSelfAttention };
  return tfLayersDefined;
}

function tfLayer(tf, spec) {
  const custom = defineTfLayers(tf);
  const c = spec.config;
  const shape = c.inputShape ? { inputShape: c.inputShape } : {};
  switch (spec.className) {
    case 'dense': return tf.layers.dense({ units: c.units, activation: c.activation ?? 'linear', ...shape });
    case 'lstm': return tf.layers.lstm({ units: c.units, returnSequences: !!c.returnSequences, ...shape });
    case 'bidirectional': return tf.layers.bidirectional({ layer: tfLayer(tf, c.layer), mergeMode: c.mergeMode ?? 'concat', ...shape });
    case 'embedding': return tf.layers.embedding({ inputDim: c.inputDim, outputDim: c.outputDim, ...shape });
    case 'featureAttention': return new custom.FeatureAttention({ ...shape });
    case 'attention':
      if ((c.score ?? 'luong') !== 'luong') throw new Error('bench: only luong attention has a TF.js twin here');
      return new custom.LuongAttention({ units: c.units ?? 128, ...shape });
    case 'additiveSelfAttention':
      if (c.returnSequences) throw new Error('bench: additiveSelfAttention returnSequences has no TF.js twin here');
      return new custom.AdditiveSelfAttention({ ...shape });
    default: throw new Error(`bench: no TF.js twin for layer '${spec.className}'`);
  }
}

const TF_LOSSES = { mse: 'meanSquaredError', binaryCrossentropy: 'binaryCrossentropy' };

export function buildTf(tf, all, spec) {
  const model = tf.sequential({ layers: spec.layers.map((l) => tfLayer(tf, l)) });
  const o = all.optimizer;
  if (o.type !== 'adam') throw new Error('bench: only adam is mapped to TF.js');
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 0.001), loss: TF_LOSSES[spec.loss] ?? spec.loss });
  return model;
}

// TF.js' wasm backend has no UnsortedSegmentSum, the gradient of the Gather an Embedding does;
// without it an Embedding cannot train there. This is the plain loop, registered by the benchmark
// only: out[segmentIds[i], :] += x[i, :].
export function registerWasmUnsortedSegmentSum(tf) {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return false;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs;
      const numSegments = attrs.numSegments;
      const ids = backend.typedArrayFromHeap(segmentIds);
      const values = backend.typedArrayFromHeap(x);
      const inner = ids.length ? values.length / ids.length : 0;
      const out = new Float32Array(numSegments * inner);
      for (let i = 0; i < ids.length; i++) {
        const seg = ids[i];
        if (seg < 0 || seg >= numSegments) continue;
        const o = seg * inner, s = i * inner;
        for (let j = 0; j < inner; j++) out[o + j] += values[s + j];
      }
      return backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32', undefined, out);
    },
  });
  return true;
}

// One model's figures with TF.js, in a process (or page) of its own: timed in rounds interleaved
// with ours in one process, TF.js ran faster than alone (T20 predict, wasm backend: 10.4 vs 15 ms)
// because the garbage its steps leave was collected during our rounds. Alone, its figures include
// the collection its steps cause.
export async function benchTf(tf, all, entry, timing, expectedParams) {
  const spec = resolveSpec(all, entry);
  const model = buildTf(tf, all, spec);
  try {
    const params = model.countParams();
    if (expectedParams !== undefined && params !== expectedParams) {
      throw new Error(`bench: TF.js ${spec.name} has ${params} parameters, attention-wasm's has ${expectedParams}`);
    }
    const data = makeBatches(spec, all.batchSize).map((b) => ({
      x: tf.tensor(b.x.data, b.x.shape, spec.input.dtype), y: tf.tensor(b.y.data, b.y.shape),
    }));
    const step = entry.task === 'train'
      ? async (i) => { const b = data[i % DATA_BATCHES]; await model.trainOnBatch(b.x, b.y); }
      : (i) => { const out = model.predict(data[i % DATA_BATCHES].x, { batchSize: all.batchSize }); out.dataSync(); out.dispose(); };
    const { times, steps, ...result } = await timeSteps(step, timing);
    for (const b of data) { b.x.dispose(); b.y.dispose(); }
    return { params, ...result };
  } finally {
    model.dispose();
  }
}

// Our parameter count for a models.json entry, to assert the TF.js twin matches.
export function ourParamCount(aw, all, entry) {
  const model = buildOurs(aw, all, resolveSpec(all, entry));
  try { return model.countParams(); } finally { model.dispose(); }
}
