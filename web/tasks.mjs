// The demo's task domain: the classic Keras attention experiments as data generators and
// model builders. The page and its worker (web/) are its main users; the Node examples
// (examples/*.mjs) import it from here.
// Pure functions: the package is passed in as `aw` (this file cannot import it by one specifier
// that works in both Node and a browser worker), all randomness comes from a seeded PRNG, and
// nothing here does model maths: the models are built from the package's layers and trained by it.
//
//   const task = makeTask('find-max', { samples: 2000, seed: 1 }, aw);
//   const model = task.build(aw, { cell: 'lstm', units: 32, score: 'luong', learningRate: 0.01 });
//   await model.fit(task.data.xTrain, task.data.yTrain, { epochs: 10 });
//   model.getAttention(task.data.xTest);   // peaks at task.truth(row) for each test row

import { sensorDemoTask, spamDemoTask } from './real_data.mjs';

// What each task is for, and the settings it trains well with: read by the demo page before
// any data exists, and by the examples' command lines. realData: the page loads that data set
// (build/data/) and passes it in the task's options.
export const TASK_INFO = {
  dense: {
    title: 'Dense hello world',
    teaches: 'Attention as feature selection: the weights say which input the model uses.',
    defaults: { units: 32, epochs: 10, batchSize: 32, learningRate: 0.01, samples: 2000 },
  },
  recurrent: {
    title: 'Recurrent hello world',
    teaches: 'Attention over time, and where to put it: before the RNN the weights live in the input space ' +
      'you understand; after it they weigh the RNN states. Single vector shares one weight per step across features.',
    defaults: { cell: 'lstm', units: 16, placement: 'before', singleVector: false, conv: false, epochs: 10, batchSize: 32,
                learningRate: 0.01, samples: 2000 },
  },
  add: {
    title: 'Add two numbers',
    teaches: 'Content-based attention: the positions change from sample to sample, so the model must find ' +
      'them from the delimiters, and the attention map shows two peaks that follow them.',
    defaults: { cell: 'lstm', units: 16, attentionType: 'attention', score: 'bahdanau', epochs: 15, batchSize: 16, learningRate: 0.02, samples: 2000 },
  },
  max: {
    title: 'Find the max',
    teaches: 'Attention as a soft pointer: one sharp peak on the winning element, wherever it is. Watch the ' +
      'plateau, then the drop: first the LSTM guesses the max on its own; then the attention locks on to it.',
    defaults: { cell: 'lstm', units: 16, attentionType: 'attention', score: 'luong', epochs: 30, batchSize: 16, learningRate: 0.02, samples: 2000 },
  },
  text: {
    title: 'Sentiment (attention on words)',
    teaches: 'Attention as an explanation: which words the classifier looked at. Padding is masked, so it gets none. ' +
      'The default, additive self-attention, passes the erasure test on real emails; the many-to-one layer does not.',
    defaults: { cell: 'lstm', units: 16, attentionType: 'additiveSelfAttention', score: 'luong', epochs: 15, batchSize: 16, learningRate: 0.01, samples: 200 },
    exampleText: 'honestly the concert felt wonderful to me',
  },
  spam: {
    title: 'Spam (real emails)',
    teaches: 'Attention on real text, and whether to believe it: after training, deleting the words it points at must ' +
      'change the verdict more than deleting random, first or last words. Multi-head self-attention passes here; ' +
      'the many-to-one layer does not, and additive self-attention only with the larger model of examples/spam.mjs.',
    defaults: { cell: 'lstm', units: 16, attentionType: 'multiHeadAttention', score: 'luong', epochs: 4, batchSize: 32, learningRate: 0.005 },
    realData: 'spam',
    classNames: ['ham', 'spam'],
    exampleText: 'dear friend you have been selected to receive a free offer click here to order now and save money',
  },
  sensor: {
    title: 'Sensor faults (real readings)',
    teaches: 'Attention over time on real sensor readings: does it land on the labelled faulty readings of a mote the ' +
      'model never saw? Faults are rare, so training weighs them 20 times (classWeight).',
    defaults: { cell: 'lstm', units: 16, attentionType: 'attention', score: 'bahdanau', epochs: 6, batchSize: 64, learningRate: 0.01 },
    realData: 'sensor',
  },
};

// ---- seeded randomness (mulberry32: tiny, fast, good enough for toy data) -------------------
export function rng(seed) {
  let a = (seed >>> 0) || 0x9e3779b9;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = null;
  // Box-Muller: numpy's standard_normal stand-in for the seeds' np.random.normal.
  const normal = () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const int = (lo, hi) => lo + Math.floor(uniform() * (hi - lo));  // [lo, hi)
  return { uniform, normal, int };
}

// ---- small helpers ---------------------------------------------------------------------------
const argmax = (values) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
};

// Row `i` of a batch-first tensor, as a view (no copy).
export function row(t, i) {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return t.data.subarray(i * size, (i + 1) * size);
}

// The first `n` rows of a batch-first tensor (a copy, so it can be posted to a worker).
export function head(t, n) {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = Math.min(n, t.shape[0]);
  return { data: t.data.slice(0, rows * size), shape: [rows, ...t.shape.slice(1)] };
}

function split(x, y, testFraction) {
  const n = x.shape[0];
  const nTest = Math.max(1, Math.round(n * testFraction));
  const nTrain = n - nTest;
  const take = (t, from, to) => {
    const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
    return { data: t.data.slice(from * size, to * size), shape: [to - from, ...t.shape.slice(1)] };
  };
  return { xTrain: take(x, 0, nTrain), yTrain: take(y, 0, nTrain), xTest: take(x, nTrain, n), yTest: take(y, nTrain, n) };
}

function optimizer(options) {
  return { type: 'adam', learningRate: options.learningRate ?? 0.01 };
}

// Every task's model: input -> output, seeded, compiled with Adam, the task's loss and metric.
function compiledModel(aw, input, output, o, loss, metric) {
  const model = aw.model({ inputs: input, outputs: output, seed: o.seed ?? 1 });
  model.compile({ optimizer: optimizer(o), loss, ...(metric ? { metrics: [metric] } : {}) });
  return model;
}

function recurrent(aw, options, extra) {
  const cell = options.cell ?? 'lstm';
  if (cell !== 'lstm' && cell !== 'gru') throw new Error(`recurrent cell must be 'lstm' or 'gru', got '${cell}'`);
  return aw.layers[cell]({ units: options.units ?? 32, ...extra });
}

function positiveInt(value, name, fallback) {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return v;
}

// ---- 1. dense hello world (keras-attention-mechanism, attention 2D block) -----------------
// v has `features` standard-normal values; v[column] is replaced by the binary target, so the
// only useful input is v[column] and the feature attention should put its weight there.
function denseHelloWorld(options) {
  const features = positiveInt(options.features, 'features', 32);
  const column = options.column ?? 1;
  const n = positiveInt(options.samples, 'samples', 2000);
  const r = rng(options.seed ?? 1);
  const x = new Float32Array(n * features);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = r.uniform() < 0.5 ? 0 : 1;
    for (let f = 0; f < features; f++) x[i * features + f] = r.normal();
    x[i * features + column] = y[i];
  }
  return {
    ...TASK_INFO.dense,
    describe: `A vector of ${features} random values; value #${column} is the binary target, the rest is noise. ` +
      'featureAttention (a softmax over the inputs, multiplied in) should learn to keep only that one input.',
    inputKind: 'vector',
    inputShape: [features],
    valueRange: [-3, 3],
    loss: 'binaryCrossentropy',
    metric: 'accuracy',
    data: split({ data: x, shape: [n, features] }, { data: y, shape: [n, 1] }, 0.2),
    truth: () => [column],
    target: (v) => v[column],
    colLabels: Array.from({ length: features }, (_, i) => i),
    build(aw, o = {}) {
      const input = aw.input({ shape: [features] });
      const attended = aw.layers.featureAttention({ name: 'attention' }).apply(input);
      const hidden = aw.layers.dense({ units: o.units ?? 64, activation: 'relu' }).apply(attended);
      const output = aw.layers.dense({ units: 1, activation: 'sigmoid' }).apply(hidden);
      return compiledModel(aw, input, output, o, 'binaryCrossentropy', 'accuracy');
    },
  };
}

const CONV_KERNEL = 3;

// ---- 2. recurrent hello world (attention_3d_block before or after the LSTM) ----------------
// (T, D) standard-normal steps; step `column` is overwritten with the binary target in every
// feature. placement 'before': attention on the inputs, then the RNN; 'after': RNN with
// return_sequences, attention on its outputs, flatten. singleVector shares one weight per step.
// conv puts a causal Conv1D in front (the CNN-LSTM-attention hybrid of forecasting models): its
// steps are the input's, so the map still reads step by step.
function recurrentHelloWorld(options) {
  const steps = positiveInt(options.steps, 'steps', 20);
  const dims = positiveInt(options.dims, 'dims', 2);
  const column = options.column ?? 10;
  const n = positiveInt(options.samples, 'samples', 2000);
  const r = rng(options.seed ?? 1);
  const x = new Float32Array(n * steps * dims);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = r.uniform() < 0.5 ? 0 : 1;
    for (let k = 0; k < steps * dims; k++) x[i * steps * dims + k] = r.normal();
    for (let d = 0; d < dims; d++) x[(i * steps + column) * dims + d] = y[i];
  }
  return {
    ...TASK_INFO.recurrent,
    describe: `${steps} time steps of ${dims} random values; step #${column} holds the binary target in every feature. ` +
      'timeAttention (the classic attention_3d_block) goes before the recurrent layer or after it; ' +
      'optionally behind a causal Conv1D front end (CNN-LSTM-attention).',
    inputKind: 'sequence',
    inputShape: [steps, dims],
    valueRange: [-3, 3],
    loss: 'binaryCrossentropy',
    metric: 'accuracy',
    data: split({ data: x, shape: [n, steps, dims] }, { data: y, shape: [n, 1] }, 0.2),
    // With the conv front end the attention weighs conv steps, and the CONV_KERNEL steps from
    // the label's on have seen it.
    truth: (v, model = {}) => (model.conv ? Array.from({ length: CONV_KERNEL }, (_, k) => column + k) : [column]),
    target: (v) => v[column * dims],
    colLabels: Array.from({ length: steps }, (_, i) => i),
    build(aw, o = {}) {
      const placement = o.placement ?? 'before';
      if (placement !== 'before' && placement !== 'after') throw new Error(`placement must be 'before' or 'after', got '${placement}'`);
      const attention = aw.layers.timeAttention({ singleVector: !!o.singleVector, name: 'attention' });
      const input = aw.input({ shape: [steps, dims] });
      const features = o.conv
        ? aw.layers.conv1D({ filters: 16, kernelSize: CONV_KERNEL, padding: 'causal', activation: 'relu', name: 'conv1d' }).apply(input)
        : input;
      let h;
      if (placement === 'before') {
        h = recurrent(aw, o, { returnSequences: false }).apply(attention.apply(features));
      } else {
        const states = recurrent(aw, o, { returnSequences: true }).apply(features);
        h = aw.layers.flatten().apply(attention.apply(states));
      }
      const output = aw.layers.dense({ units: 1, activation: 'sigmoid' }).apply(h);
      return compiledModel(aw, input, output, o, 'binaryCrossentropy', 'accuracy');
    },
  };
}

// ---- 3. add two numbers after delimiters (the `attention` package's example) ---------------
// uniform(0,1) sequence; two positions a, b are each preceded by a 0 delimiter; y = (x[a]+x[b])/2.
// Attention (many-to-one) should light up at a and b.
function addTwoNumbers(options) {
  const steps = positiveInt(options.steps, 'steps', 20);
  const n = positiveInt(options.samples, 'samples', 2000);
  const r = rng(options.seed ?? 1);
  const x = new Float32Array(n * steps);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x.subarray(i * steps, (i + 1) * steps);
    // Values stay away from 0 so a delimiter is unambiguous when the visitor edits a sequence.
    for (let t = 0; t < steps; t++) v[t] = 0.05 + 0.95 * r.uniform();
    // a, b in [1, T) and at least 2 apart, so neither delimiter overwrites the other number.
    let a, b;
    do { a = r.int(1, steps); b = r.int(1, steps); } while (Math.abs(a - b) < 2);
    v[a - 1] = 0;
    v[b - 1] = 0;
    y[i] = 0.5 * v[a] + 0.5 * v[b];
  }
  const positions = (v) => {
    const out = [];
    for (let t = 0; t + 1 < v.length; t++) if (v[t] === 0 && v[t + 1] !== 0) out.push(t + 1);
    return out;
  };
  return {
    ...TASK_INFO.add,
    describe: `${steps} numbers in (0, 1]; two of them come right after a 0 delimiter. The target is their mean. ` +
      'An LSTM reads the sequence and the many-to-one attention (Bahdanau score) picks the two numbers.',
    inputKind: 'sequence',
    inputShape: [steps, 1],
    valueRange: [0, 1],
    loss: 'mse',
    metric: null,
    data: split({ data: x, shape: [n, steps, 1] }, { data: y, shape: [n, 1] }, 0.2),
    truth: positions,
    target: (v) => {
      const p = positions(v);
      return p.length === 2 ? 0.5 * v[p[0]] + 0.5 * v[p[1]] : null;
    },
    colLabels: Array.from({ length: steps }, (_, i) => i),
    build(aw, o = {}) {
      return manyToOne(aw, [steps, 1], { score: 'bahdanau', ...o }, 'mse');
    },
  };
}

// ---- 4. find the max (the `attention` package's example) -----------------------------------
function findMax(options) {
  const steps = positiveInt(options.steps, 'steps', 10);
  const n = positiveInt(options.samples, 'samples', 2000);
  const r = rng(options.seed ?? 1);
  const x = new Float32Array(n * steps);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x.subarray(i * steps, (i + 1) * steps);
    for (let t = 0; t < steps; t++) v[t] = r.uniform();
    y[i] = v[argmax(v)];
  }
  return {
    ...TASK_INFO.max,
    describe: `${steps} numbers in [0, 1); the target is the largest. An LSTM reads them and the many-to-one ` +
      'attention (Luong score) should look at the maximum.',
    inputKind: 'sequence',
    inputShape: [steps, 1],
    valueRange: [0, 1],
    loss: 'mse',
    metric: null,
    data: split({ data: x, shape: [n, steps, 1] }, { data: y, shape: [n, 1] }, 0.2),
    truth: (v) => [argmax(v)],
    target: (v) => v[argmax(v)],
    colLabels: Array.from({ length: steps }, (_, i) => i),
    build(aw, o = {}) {
      return manyToOne(aw, [steps, 1], { score: 'luong', ...o }, 'mse');
    },
  };
}

// The attention that reduces RNN states (B,T,H) to one vector: the `attention` package's
// many-to-one layer (query = last state, Luong or Bahdanau score), or the additive self
// attention of seed 003 (e = tanh(xW + b), softmax over time, weighted sum; no query).
function sequenceAttention(aw, o, defaultUnits) {
  const type = o.attentionType ?? 'attention';
  if (type === 'attention') return aw.layers.attention({ units: o.attentionUnits ?? defaultUnits, score: o.score ?? 'luong', name: 'attention' });
  if (type === 'additiveSelfAttention') return aw.layers.additiveSelfAttention({ returnSequences: false, name: 'attention' });
  throw new Error(`attention type must be 'attention' or 'additiveSelfAttention', got '${type}'`);
}

// LSTM/GRU (return_sequences) -> Attention(units, score) -> Dense(1): the `attention` package's
// examples.
function manyToOne(aw, shape, o, loss) {
  const input = aw.input({ shape });
  const states = recurrent(aw, o, { returnSequences: true }).apply(input);
  const context = sequenceAttention(aw, o, 32).apply(states);
  const output = aw.layers.dense({ units: 1 }).apply(context);
  return compiledModel(aw, input, output, o, loss);
}

// ---- 5. sentiment of short sentences: attention shown on the words -------------------------
// A built-in data set: every sentence gets its label from one sentiment word; the rest of each
// sentence is drawn from the same neutral frames for both labels, so that word is all the model
// can go by and the attention should land on it.
export const POSITIVE_WORDS = ['great', 'wonderful', 'excellent', 'lovely', 'amazing', 'delightful', 'superb',
  'brilliant', 'enjoyable', 'fantastic', 'good', 'charming'];
export const NEGATIVE_WORDS = ['awful', 'terrible', 'boring', 'dreadful', 'horrible', 'dull', 'poor',
  'disappointing', 'bad', 'painful', 'mediocre', 'annoying'];
const SUBJECTS = ['the movie', 'the food', 'this book', 'the hotel', 'our trip', 'the concert', 'the service',
  'that game', 'the show', 'my new phone', 'the museum', 'the coffee', 'the lecture', 'this album', 'the park'];
const FRAMES = ['{s} was {w}', 'i thought {s} was {w}', 'honestly {s} felt {w} to me', '{s} is really {w}',
  'what a {w} day at {s}', 'everyone said {s} looked {w}', 'we found {s} quite {w}', '{w} , that is how {s} was',
  'my friends called {s} {w}', 'to be fair {s} seemed {w} overall', 'after an hour {s} was {w}',
  'the whole family agreed {s} was {w}'];

export function builtInSentiment(count = 200, seed = 7) {
  const r = rng(seed);
  const rows = [];
  for (let i = 0; i < count; i++) {
    const label = i % 2;  // balanced
    const words = label ? POSITIVE_WORDS : NEGATIVE_WORDS;
    const frame = FRAMES[r.int(0, FRAMES.length)];
    const text = frame.replace('{s}', SUBJECTS[r.int(0, SUBJECTS.length)]).replace('{w}', words[r.int(0, words.length)]);
    rows.push({ text, label });
  }
  return rows;
}

// The built-in set as CSV: also the example of the format the page accepts from visitors.
export function toCsv(rows) {
  const quote = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return ['text,label', ...rows.map((r) => `${quote(r.text)},${r.label}`)].join('\n') + '\n';
}

// The rows a text task trains on, from the library's CSV reader (attention-wasm/data's textCsv,
// which reports malformed rows with their line): binary labels, enough of each to split.
export function labelledRows({ texts, labels, lines }) {
  const rows = texts.map((text, i) => {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`CSV line ${lines[i]}: label ${labels[i]} is not 0 or 1`);
    return { text, label: labels[i] };
  });
  const positives = rows.filter((r) => r.label === 1).length;
  if (rows.length < 10) throw new Error(`CSV: ${rows.length} labelled rows is too few to train on; give at least 10`);
  if (positives < 2 || rows.length - positives < 2) throw new Error(`CSV: need at least 2 rows of each label, got ${positives} positive and ${rows.length - positives} negative`);
  return rows;
}

function sentiment(options, aw) {
  if (!aw) throw new Error("makeTask('text') needs the package (aw) for its tokenizer: makeTask('text', options, aw)");
  const r = rng(options.seed ?? 1);
  const builtIn = !options.rows;
  const rows = (options.rows ?? builtInSentiment(options.samples ?? 200)).slice();
  // Shuffle so a visitor's CSV sorted by label still gets both labels into the test split.
  for (let i = rows.length - 1; i > 0; i--) { const j = r.int(0, i + 1); [rows[i], rows[j]] = [rows[j], rows[i]]; }
  const maxLen = positiveInt(options.maxLen, 'maxLen', 12);
  const tokenizer = aw.text.tokenizer({ oovToken: '<unk>', numWords: options.numWords ?? 2000 });
  tokenizer.fit(rows.map((r2) => r2.text));
  const vocab = Math.min(tokenizer.wordIndex.size + 1, options.numWords ?? 2000);
  const x = aw.padSequences(tokenizer.textsToSequences(rows.map((r2) => r2.text)), { maxLen });
  const y = { data: Float32Array.from(rows.map((r2) => r2.label)), shape: [rows.length, 1] };
  const keyIds = new Set([...POSITIVE_WORDS, ...NEGATIVE_WORDS].map((w) => tokenizer.wordIndex.get(w)).filter((id) => id !== undefined));
  // Words of a sentence as the model sees them (tokenized, pre-truncated to maxLen), aligned
  // with the last positions of its padded row.
  const encode = (text) => {
    const words = tokenizer.words(text).slice(-maxLen);
    const ids = tokenizer.textsToSequences([text])[0].slice(-maxLen);
    const padded = aw.padSequences([ids], { maxLen });
    return { words, ids, x: padded, offset: maxLen - ids.length };
  };
  return {
    ...TASK_INFO.text,
    describe: builtIn
      ? `${rows.length} short built-in sentences; one word in each (great, awful, ...) decides the label. ` +
        'Embedding (mask_zero) -> recurrent layer -> attention -> sigmoid; the attention is drawn on the words.'
      : `${rows.length} sentences from your CSV. Embedding (mask_zero) -> recurrent layer -> attention -> sigmoid.`,
    inputKind: 'text',
    inputShape: [maxLen],
    maxLen,
    loss: 'binaryCrossentropy',
    metric: 'accuracy',
    data: split(x, y, 0.2),
    tokenizer,
    encode,
    // Positions (in the padded row) of the words that decide the label, for the built-in set.
    truth: (ids) => (builtIn ? Array.from(ids).flatMap((id, t) => (keyIds.has(id) ? [t] : [])) : []),
    target: () => null,
    wordsOf: (ids) => Array.from(ids, (id) => (id === 0 ? '' : tokenizer.indexWord.get(id) ?? '?')),
    colLabels: null,
    build(awApi, o = {}) {
      const input = awApi.input({ shape: [maxLen] });
      const embedded = awApi.layers.embedding({ inputDim: vocab, outputDim: o.embeddingDim ?? 16, maskZero: true }).apply(input);
      const states = recurrent(awApi, o, { returnSequences: true }).apply(embedded);
      const context = sequenceAttention(awApi, o, 16).apply(states);
      const output = awApi.layers.dense({ units: 1, activation: 'sigmoid' }).apply(context);
      return compiledModel(awApi, input, output, o, 'binaryCrossentropy', 'accuracy');
    },
  };
}

export const TASK_NAMES = ['dense', 'recurrent', 'add', 'max', 'text', 'spam', 'sensor'];
const FACTORIES = { dense: denseHelloWorld, recurrent: recurrentHelloWorld, add: addTwoNumbers, max: findMax, text: sentiment,
                    spam: spamDemoTask, sensor: sensorDemoTask };

// makeTask(name, options, aw) -> { title, describe, teaches, inputKind, inputShape, valueRange,
//   loss, metric, data: { xTrain, yTrain, xTest, yTest }, truth(row, { conv }) -> expected attention
//   (conv: the model has a Conv1D front end, whose steps see a window of the input's)
//   positions, target(row) -> expected output, build(aw, modelOptions) -> compiled model }.
// `aw` is needed only by 'text' (its tokenizer). Same name + options = same data, always.
export function makeTask(name, options = {}, aw = null) {
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`unknown task '${name}' (known: ${TASK_NAMES.join(', ')})`);
  return { name, ...factory(options, aw) };
}

// Per row of an attention map: its weights over positions and the position of the largest.
// (B,T,D) maps (timeAttention without singleVector) are averaged over features first, as the
// Keras example did (np.mean(axis=-1)); (B,T) and (B,D) maps are taken as they are.
export function attentionRows(attention) {
  const [B, T] = attention.shape;
  const D = attention.shape.length === 3 ? attention.shape[2] : 1;
  const rows = [];
  for (let b = 0; b < B; b++) {
    const weights = new Float32Array(T);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += attention.data[(b * T + t) * D + d];
      weights[t] = s / D;
    }
    rows.push({ weights, peak: argmax(weights) });
  }
  return rows;
}

// attentionRows plus, per row, the positions the task expects and whether the peak is one of them.
export function attentionByRow(task, attention, x) {
  return attentionRows(attention).map((r, b) => {
    const expected = task.truth(row(x, b));
    return { ...r, expected, hit: expected.length > 0 ? expected.includes(r.peak) : null };
  });
}

// A text bar chart of weights, one line per position: how the Node examples print attention.
export function bars(weights, labels = null, width = 40) {
  const max = Math.max(1e-12, ...weights);
  return Array.from(weights, (w, i) => {
    const label = String(labels ? labels[i] : i).padStart(3);
    return `${label} ${w.toFixed(3)} ${'#'.repeat(Math.round((w / max) * width))}`;
  }).join('\n');
}
