// The real-data tasks, shared by the examples (examples/spam.mjs, examples/sensor-faults.mjs),
// the tests and the demo's worker: pure functions over the package API (`aw`) and the prepared
// data (scripts/prepare-data.mjs), seeded.
//   spam:   SpamAssassin message bodies -> embedding(maskZero) -> LSTM -> an attention type -> sigmoid
//   sensor: windows of humidity/temperature readings -> LSTM -> attention -> sigmoid, split by mote
// and the measures of whether attention explains the prediction: word erasure (spam) and fault
// location (sensor), each beside the controls it has to beat.
import { rng } from './tasks.mjs';

const take = (t, rows) => {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = new t.data.constructor(rows.length * size);
  rows.forEach((r, i) => data.set(t.data.subarray(r * size, (r + 1) * size), i * size));
  return { data, shape: [rows.length, ...t.shape.slice(1)] };
};
const logit = (p) => {
  const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  return Math.log(q / (1 - q));
};

// ---- the attention types, each after a recurrent layer's states (B, T, U) -------------------------
// Many-to-one layers give (B, U'); self-attention layers give (B, T, U) and are averaged over time.
// Every one is named 'attention', so getAttention(x, { layer: 'attention' }) reads it.
export const ATTENTION_TYPES = {
  luong: { title: 'attention (Luong)', apply: (aw, h) => aw.layers.attention({ units: 32, score: 'luong', name: 'attention' }).apply(h) },
  bahdanau: { title: 'attention (Bahdanau)', apply: (aw, h) => aw.layers.attention({ units: 32, score: 'bahdanau', name: 'attention' }).apply(h) },
  additiveSelf: { title: 'additiveSelfAttention', apply: (aw, h) => aw.layers.additiveSelfAttention({ name: 'attention' }).apply(h) },
  time3d: { title: 'timeAttention (3D block)', apply: (aw, h) => aw.layers.flatten().apply(aw.layers.timeAttention({ singleVector: true, name: 'attention' }).apply(h)) },
  dot: { title: 'dotAttention (self)', apply: (aw, h) => aw.layers.globalAveragePooling1D().apply(aw.layers.dotAttention({ useScale: true, name: 'attention' }).apply([h, h])) },
  additive: { title: 'additiveAttention (self)', apply: (aw, h) => aw.layers.globalAveragePooling1D().apply(aw.layers.additiveAttention({ name: 'attention' }).apply([h, h])) },
  mha: { title: 'multiHeadAttention (self)', apply: (aw, h) => aw.layers.globalAveragePooling1D().apply(aw.layers.multiHeadAttention({ numHeads: 2, keyDim: 16, name: 'attention' }).apply([h, h])) },
};

// How much attention each position gets, (B, T), from any attention map: (B, T) as it is;
// (B, T, D) averaged over features; (B, Tq, Tv) and (B, H, Tq, Tv) averaged over heads and over
// the queries at real positions (ids != 0), i.e. the attention each key receives.
export function positionWeights(attention, ids) {
  const [B] = attention.shape;
  const T = ids.shape[1];
  const out = new Float32Array(B * T);
  const dims = attention.shape.slice(1);
  if (dims.length === 1 || (dims.length === 2 && dims[0] === T && dims[1] !== T)) {
    const D = dims.length === 2 ? dims[1] : 1;
    for (let i = 0; i < B * T; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += attention.data[i * D + d];
      out[i] = s / D;
    }
    return { data: out, shape: [B, T] };
  }
  const heads = dims.length === 3 ? dims[0] : 1;
  for (let b = 0; b < B; b++) {
    let queries = 0;
    for (let h = 0; h < heads; h++)
      for (let q = 0; q < T; q++) {
        if (ids.data[b * T + q] === 0) continue;
        queries++;
        const base = ((b * heads + h) * T + q) * T;
        for (let k = 0; k < T; k++) out[b * T + k] += attention.data[base + k];
      }
    for (let k = 0; k < T; k++) out[b * T + k] /= Math.max(1, queries);
  }
  return { data: out, shape: [B, T] };
}

// ---- spam ----------------------------------------------------------------------------------------
export const SPAM_DEFAULTS = { maxLen: 100, numWords: 5000, embeddingDim: 32, units: 32, epochs: 4, batchSize: 64, learningRate: 0.005 };

// emails: [{text, spam}] (build/data/spam.json). A seeded shuffle and split; the tokenizer learns
// its vocabulary from the training emails only. The first maxLen words of each body are kept.
export function spamTask(emails, aw, options = {}) {
  const o = { ...SPAM_DEFAULTS, testFraction: 0.2, seed: 1, ...options };
  const r = rng(o.seed);
  const order = emails.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) { const j = r.int(0, i + 1); [order[i], order[j]] = [order[j], order[i]]; }
  const chosen = o.limit ? order.slice(0, o.limit) : order;
  const nTest = Math.round(chosen.length * o.testFraction);
  const trainRows = chosen.slice(nTest).map((i) => emails[i]), testRows = chosen.slice(0, nTest).map((i) => emails[i]);
  const tokenizer = aw.text.tokenizer({ oovToken: '<unk>', numWords: o.numWords });
  tokenizer.fit(trainRows.map((e) => e.text));
  const vocab = Math.min(tokenizer.wordIndex.size + 1, o.numWords);
  const encode = (rows) => aw.padSequences(tokenizer.textsToSequences(rows.map((e) => e.text)), { maxLen: o.maxLen, truncating: 'post' });
  const labels = (rows) => ({ data: Float32Array.from(rows, (e) => e.spam), shape: [rows.length, 1] });
  return {
    options: o, tokenizer, vocab,
    xTrain: encode(trainRows), yTrain: labels(trainRows), xTest: encode(testRows), yTest: labels(testRows),
    wordsOf: (ids) => Array.from(ids, (id) => (id === 0 ? '' : tokenizer.indexWord.get(id) ?? '?')),
    build(type, modelOptions = {}) {
      const m = { ...o, ...modelOptions };
      const input = aw.input({ shape: [o.maxLen] });
      const embedded = aw.layers.embedding({ inputDim: vocab, outputDim: m.embeddingDim, maskZero: true }).apply(input);
      const states = aw.layers.lstm({ units: m.units, returnSequences: true }).apply(embedded);
      const context = ATTENTION_TYPES[type].apply(aw, states);
      const output = aw.layers.dense({ units: 1, activation: 'sigmoid' }).apply(context);
      const model = aw.model({ inputs: input, outputs: output, seed: m.seed });
      model.compile({ optimizer: { type: 'adam', learningRate: m.learningRate }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return model;
    },
  };
}

// Erasure: delete k words of each email (the rest move up, as if never written) and measure the
// drop in the log-odds of the class the model predicted. The words deleted: the k the attention
// weighs most; k at random; the first k; the last k. Emails with fewer than 2k words are skipped.
// weights: (B, T) position weights (positionWeights). Returns mean drops and the emails used.
export function erasure(model, x, weights, { k = 5, seed = 1 } = {}) {
  const [B, T] = x.shape;
  const r = rng(seed);
  const strategies = ['attention', 'random', 'first', 'last'];
  const variants = Object.fromEntries(strategies.map((s) => [s, []]));
  const used = [];
  for (let b = 0; b < B; b++) {
    const ids = x.data.subarray(b * T, (b + 1) * T);
    const real = [];
    for (let t = 0; t < T; t++) if (ids[t] !== 0) real.push(t);
    if (real.length < 2 * k) continue;
    used.push(b);
    const w = weights.data.subarray(b * T, (b + 1) * T);
    const picks = {
      attention: real.slice().sort((a, c) => w[c] - w[a] || a - c).slice(0, k),
      random: (() => { const pool = real.slice(); for (let i = 0; i < k; i++) { const j = r.int(i, pool.length); [pool[i], pool[j]] = [pool[j], pool[i]]; } return pool.slice(0, k); })(),
      first: real.slice(0, k),
      last: real.slice(-k),
    };
    for (const s of strategies) {
      const drop = new Set(picks[s]);
      const kept = real.filter((t) => !drop.has(t)).map((t) => ids[t]);
      const row = new Int32Array(T);
      row.set(kept, T - kept.length);  // pre-padded, as padSequences
      variants[s].push(row);
    }
  }
  const before = model.predict(take(x, used)).data;
  const out = { emails: used.length };
  for (const s of strategies) {
    const rows = variants[s];
    const xs = { data: new Int32Array(rows.length * T), shape: [rows.length, T] };
    rows.forEach((row, i) => xs.data.set(row, i * T));
    const after = model.predict(xs).data;
    let sum = 0;
    for (let i = 0; i < used.length; i++) {
      const sign = before[i] >= 0.5 ? 1 : -1;
      sum += sign * (logit(before[i]) - logit(after[i]));
    }
    out[s] = sum / Math.max(1, used.length);
  }
  // The margin the attention's words have over the best control.
  out.gain = out.attention - Math.max(out.random, out.first, out.last);
  return out;
}

// Control attention maps of x's shape: uniform over the real words; random; all on the last word.
export function controlWeights(x, seed = 7) {
  const [B, T] = x.shape;
  const r = rng(seed);
  const make = (fill) => {
    const data = new Float32Array(B * T);
    for (let b = 0; b < B; b++) fill(data.subarray(b * T, (b + 1) * T), x.data.subarray(b * T, (b + 1) * T));
    return { data, shape: [B, T] };
  };
  return {
    uniform: make((w, ids) => ids.forEach((id, t) => { w[t] = id ? 1 : 0; })),
    random: make((w, ids) => ids.forEach((id, t) => { w[t] = id ? r.uniform() : 0; })),
    fixedLast: make((w) => { w[T - 1] = 1; }),
  };
}

// ---- sensor faults ---------------------------------------------------------------------------
export const SENSOR_DEFAULTS = { units: 16, epochs: 6, batchSize: 64, learningRate: 0.01, faultWeight: 20 };

// windows: seriesCsv's result on the readings (grouped by mote). Train on every mote but
// testGroup, test on testGroup: the two fault events are on two motes, so a random split would
// test on near-copies of training windows.
export function sensorTask(windows, aw, options = {}) {
  const o = { ...SENSOR_DEFAULTS, testGroup: '4', seed: 1, ...options };
  const train = [], test = [];
  windows.windows.forEach((w, i) => (w.group === o.testGroup ? test : train).push(i));
  if (!test.length || !train.length) throw new Error(`sensorTask: group '${o.testGroup}' leaves no train or no test windows`);
  const [, T, F] = windows.x.shape;
  return {
    options: o,
    xTrain: take(windows.x, train), yTrain: take(windows.y, train),
    xTest: take(windows.x, test), yTest: take(windows.y, test), stepsTest: take(windows.stepLabels, test),
    build(type = 'bahdanau', modelOptions = {}) {
      const m = { ...o, ...modelOptions };
      const input = aw.input({ shape: [T, F] });
      const states = aw.layers.lstm({ units: m.units, returnSequences: true }).apply(input);
      const context = ATTENTION_TYPES[type].apply(aw, states);
      const output = aw.layers.dense({ units: 1, activation: 'sigmoid' }).apply(context);
      const model = aw.model({ inputs: input, outputs: output, seed: m.seed });
      model.compile({ optimizer: { type: 'adam', learningRate: m.learningRate }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return model;
    },
  };
}

// Balanced accuracy (the mean of the recall of each class): plain accuracy says little when 1% of
// the windows hold a fault.
export function balancedAccuracy(p, y) {
  let tp = 0, pos = 0, tn = 0, neg = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] > 0.5) { pos++; if (p[i] >= 0.5) tp++; } else { neg++; if (p[i] < 0.5) tn++; }
  }
  return 0.5 * (pos ? tp / pos : 0) + 0.5 * (neg ? tn / neg : 0);
}

// Fault location over the windows that hold some faulty readings but not only faulty ones: how
// often the most attended reading is a faulty one, against chance (the share of faulty readings in
// those windows). weights: (B, T) position weights.
export function faultLocation(weights, steps) {
  const [B, T] = steps.shape;
  let windows = 0, hits = 0, chance = 0;
  for (let b = 0; b < B; b++) {
    const s = steps.data.subarray(b * T, (b + 1) * T);
    const faulty = s.reduce((a, v) => a + v, 0);
    if (faulty === 0 || faulty === T) continue;
    const w = weights.data.subarray(b * T, (b + 1) * T);
    let peak = 0;
    for (let t = 1; t < T; t++) if (w[t] > w[peak]) peak = t;
    windows++;
    hits += s[peak];
    chance += faulty / T;
  }
  return { windows, rate: windows ? hits / windows : 0, chance: windows ? chance / windows : 0 };
}

// ---- the demo's two real-data tasks (makeTask('spam' | 'sensor', options, aw)) --------------------
// The page loads the data (build/data/spam-demo.json; sensor.csv through seriesCsv with
// SENSOR_WINDOWS) and passes it in options: { emails } or { windows }.
export const SENSOR_WINDOWS = { window: 32, stride: 2, groupColumn: 'mote_id', featureColumns: ['humidity', 'temperature'] };

function demoModel(aw, input, states, o, attentionUnits) {
  const type = o.attentionType ?? 'additiveSelfAttention';
  let context;
  if (type === 'attention') context = aw.layers.attention({ units: attentionUnits, score: o.score ?? 'bahdanau', name: 'attention' }).apply(states);
  else if (type === 'additiveSelfAttention') context = aw.layers.additiveSelfAttention({ name: 'attention' }).apply(states);
  else if (type === 'multiHeadAttention') context = ATTENTION_TYPES.mha.apply(aw, states);
  else throw new Error(`attention type must be 'attention', 'additiveSelfAttention' or 'multiHeadAttention', got '${type}'`);
  const output = aw.layers.dense({ units: 1, activation: 'sigmoid' }).apply(context);
  const model = aw.model({ inputs: input, outputs: output, seed: o.seed ?? 1 });
  model.compile({ optimizer: { type: 'adam', learningRate: o.learningRate ?? 0.005 }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}
const recurrentLayer = (aw, o) => aw.layers[o.cell === 'gru' ? 'gru' : 'lstm']({ units: o.units ?? 16, returnSequences: true });

export function spamDemoTask(options, aw) {
  if (!Array.isArray(options.emails)) throw new Error("the spam task needs the emails (build/data/spam-demo.json): makeTask('spam', { emails }, aw)");
  const maxLen = 100;
  const task = spamTask(options.emails, aw, { seed: options.seed ?? 1, maxLen, numWords: 3000 });
  const encode = (text) => {
    const words = task.tokenizer.words(text).slice(0, maxLen);
    const ids = task.tokenizer.textsToSequences([text])[0].slice(0, maxLen);
    return { words, ids, x: aw.padSequences([ids], { maxLen }), offset: maxLen - ids.length };
  };
  return {
    describe: `${options.emails.length} SpamAssassin emails (message bodies only, first ${maxLen} words; headers and ` +
      'HTML removed). Embedding (mask_zero) -> recurrent layer -> attention -> sigmoid; the attention is drawn on the words. ' +
      'After training, the erasure test says whether deleting the most attended words changes the verdict more than deleting others.',
    inputKind: 'text', inputShape: [maxLen], maxLen, loss: 'binaryCrossentropy', metric: 'accuracy',
    data: { xTrain: task.xTrain, yTrain: task.yTrain, xTest: task.xTest, yTest: task.yTest },
    tokenizer: task.tokenizer, encode, wordsOf: task.wordsOf, colLabels: null,
    truth: () => [], target: () => null,
    build(awApi, o = {}) {
      const input = awApi.input({ shape: [maxLen] });
      const embedded = awApi.layers.embedding({ inputDim: task.vocab, outputDim: 16, maskZero: true }).apply(input);
      return demoModel(awApi, input, recurrentLayer(awApi, o).apply(embedded), o, 16);
    },
    // Per word, the attention it gets (self-attention: averaged over the words attending to it).
    attentionOf: (model, x) => positionWeights(model.getAttention(x, { layer: 'attention' }), x),
    // The erasure test on the test emails (k = 5): the attention's gain over random, first and last words.
    attentionCheck(model) {
      const weights = positionWeights(model.getAttention(task.xTest, { layer: 'attention' }), task.xTest);
      const e = erasure(model, task.xTest, weights, { k: 5, seed: 1 });
      return { name: 'erasureGain', value: e.gain,
               text: `erasure test: deleting the 5 most attended words drops the verdict's log-odds by ${e.attention.toFixed(2)}, ` +
                 `5 random words by ${e.random.toFixed(2)}, the first 5 by ${e.first.toFixed(2)}, the last 5 by ${e.last.toFixed(2)} ` +
                 `(${e.emails} emails): the attention is ${e.gain > 0 ? 'faithful' : 'not faithful'} here` };
    },
  };
}

export function sensorDemoTask(options, aw) {
  if (!options.windows) throw new Error("the sensor task needs the windows (seriesCsv of build/data/sensor.csv): makeTask('sensor', { windows }, aw)");
  const task = sensorTask(options.windows, aw, { testGroup: '4', seed: options.seed ?? 1 });
  const [, T, F] = task.xTest.shape;
  // The test windows drawn in the map: the ones with faulty readings first (those with a fault
  // onset or end inside them), then normal ones.
  const faulty = [], normal = [];
  for (let b = 0; b < task.yTest.shape[0]; b++) (task.yTest.data[b] ? faulty : normal).push(b);
  const shown = [...faulty.filter((b) => { const s = task.stepsTest.data.subarray(b * T, (b + 1) * T); return s.includes(0); }).slice(0, 6), ...normal.slice(0, 2)];
  const order = [...shown, ...Array.from({ length: task.yTest.shape[0] }, (_, b) => b).filter((b) => !shown.includes(b))];
  const stepsOf = (b) => Array.from(task.stepsTest.data.subarray(b * T, (b + 1) * T).keys()).filter((t) => task.stepsTest.data[b * T + t]);
  return {
    describe: `${task.xTrain.shape[0]} windows of ${T} humidity/temperature readings from motes 1-3 to train on ` +
      `(${task.yTrain.data.reduce((a, b) => a + b, 0)} hold a labelled fault; classWeight 1:20), ${task.xTest.shape[0]} from mote 4 to test. ` +
      'LSTM -> attention -> sigmoid; the map shows test windows at a fault, the faulty readings outlined.',
    inputKind: 'sequence', inputShape: [T, F], valueRange: [-5, 40], loss: 'binaryCrossentropy', metric: 'accuracy',
    // Every test window, the drawn ones first (the worker draws the first exampleCount).
    data: { xTrain: task.xTrain, yTrain: task.yTrain, xTest: take(task.xTest, order), yTest: take(task.yTest, order) },
    exampleCount: shown.length,
    classWeight: { 0: 1, 1: SENSOR_DEFAULTS.faultWeight },
    // Truth of the i-th drawn example: its faulty readings.
    truth: (v, traits, i) => (i !== undefined && i < shown.length ? stepsOf(shown[i]) : []),
    target: () => null,
    colLabels: Array.from({ length: T }, (_, t) => t),
    build(awApi, o = {}) {
      const input = awApi.input({ shape: [T, F] });
      return demoModel(awApi, input, recurrentLayer(awApi, o).apply(input), { attentionType: 'attention', score: 'bahdanau', learningRate: 0.01, ...o }, 16);
    },
    attentionCheck(model) {
      const found = faultLocation(model.getAttention(task.xTest, { layer: 'attention' }), task.stepsTest);
      return { name: 'faultLocation', value: found.rate,
               text: `the most attended reading is a faulty one in ${(100 * found.rate).toFixed(0)}% of the ${found.windows} test windows ` +
                 `that hold a fault onset or end (chance ${(100 * found.chance).toFixed(0)}%)` };
    },
  };
}
