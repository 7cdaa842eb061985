// Robustness of the JS package: a library that runs in other people's pages must not crash them,
// leak their memory or trust their input. Every bad call throws an Error that says what is
// wrong; afterwards the module and every other model keep working; nothing leaks over 1,000
// create / fit / predict / save / load / dispose cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'attention-wasm';
import { assertCheckedError } from './support.mjs';

const aw = await init();

const mlp = (seed = 1) => aw.sequential({
  seed,
  layers: [aw.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), aw.layers.dense({ units: 1 })],
});
const compiled = (seed = 1) => {
  const m = mlp(seed);
  m.compile({ optimizer: 'adam', loss: 'mse' });
  return m;
};
function data(n, seed = 1) {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; };
  const x = new Float32Array(n * 3).map(rand);
  const y = new Float32Array(n).map((_, i) => x[i * 3] - 0.5 * x[i * 3 + 1]);
  return { x: { data: x, shape: [n, 3] }, y: { data: y, shape: [n, 1] } };
}
const idsModel = () => {
  const m = aw.sequential({
    layers: [aw.layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [4] }),
             aw.layers.globalAveragePooling1D(), aw.layers.dense({ units: 2, activation: 'softmax' })],
  });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return m;
};
const ids = (values) => ({ data: Int32Array.from(values), shape: [values.length / 4, 4] });

// Each case: [name, call, message pattern]. Calls are made on fresh or shared models.
function badInputCases(shared, track) {
  const { x, y } = data(4);
  const nan = { data: Float32Array.from(x.data, (v, i) => (i === 4 ? NaN : v)), shape: x.shape };
  const inf = { data: Float32Array.from(y.data, (v, i) => (i === 3 ? Infinity : v)), shape: y.shape };
  const idm = track(idsModel());
  const file = shared.save();
  return [
    ['unknown layer option', () => aw.sequential({ layers: [aw.layers.dense({ units: 3, unit: 3, inputShape: [3] })] }), /^dense: unknown option 'unit'/],
    ['unknown activation', () => aw.sequential({ layers: [aw.layers.dense({ units: 3, activation: 'swish9', inputShape: [3] })] }), /unknown activation 'swish9'/],
    ['NaN as a layer option', () => aw.sequential({ layers: [aw.layers.dense({ units: NaN, inputShape: [3] })] }), /option 'units' must be an integer, got "NaN"/],
    ['Infinity as an option', () => aw.sequential({ layers: [aw.layers.dropout({ rate: Infinity, inputShape: [3] })] }), /option 'rate'.*"Infinity"/],
    ['apply on a wrong rank', () => aw.layers.lstm({ units: 2 }).apply(aw.input({ shape: [3] })), /lstm/],
    ['absurd layer output', () => aw.layers.repeatVector({ n: 2 ** 30 }).apply(aw.input({ shape: [64] })), /more than the limit/],
    ['compile: unknown key', () => track(mlp()).compile({ loss: 'mse', lr: 0.1 }), /compile: unknown option 'lr'/],
    ['compile: unknown loss', () => track(mlp()).compile({ loss: 'hinge9' }), /unknown loss 'hinge9'/],
    ['compile: NaN learning rate', () => track(mlp()).compile({ loss: 'mse', optimizer: { type: 'sgd', learningRate: NaN } }), /option 'learningRate'/],
    ['fit before compile', () => track(mlp()).fit(x, y), /fit: the model must be compiled first/],
    ['fit: unknown option', () => shared.fit(x, y, { epoch: 3 }), /fit: unknown option 'epoch'/],
    ['fit: NaN batch size', () => shared.fit(x, y, { batchSize: NaN }), /fit: option 'batchSize' must be an integer, got "NaN"/],
    ['fit: NaN in x', () => shared.fit(nan, y), /fit: input 0 contains NaN at sample 1/],
    ['fit: Infinity in y', () => shared.fit(x, inf), /fit: target 0 contains Infinity at sample 3/],
    ['fit: empty data set', () => shared.fit({ data: new Float32Array(0), shape: [0, 3] }, { data: new Float32Array(0), shape: [0, 1] }), /fit: no samples/],
    ['fit: bad validationData', () => shared.fit(x, y, { validationData: [x] }), /validationData/],
    ['predict: wrong shape', () => shared.predict({ data: new Float32Array(8), shape: [4, 2] }), /predict: input 0 .*expected shape \(None, 3\), got \(4, 2\)/],
    ['predict: unknown option', () => shared.predict(x, { batchsize: 2 }), /predict: unknown option 'batchsize'/],
    ['predict: batchSize 0', () => shared.predict(x, { batchSize: 0 }), /predict: option 'batchSize' must be a positive integer, got 0/],
    ['predict: ragged nested array', () => shared.predict([[1, 2, 3], [1, 2]]), /ragged/],
    ['predict: shape and data disagree', () => shared.predict({ data: new Float32Array(5), shape: [2, 3] }), /holds 6 values, got 5/],
    ['evaluate: wrong target count', () => shared.evaluate(x, [y, y]), /^evaluate: y: the model has 1 output, got a list of 2 tensors$/],
    ['token id >= inputDim', () => idm.predict(ids([0, 1, 2, 5])), /expected integer ids in \[0, 5\), got 5/],
    ['negative token id', () => idm.trainOnBatch(ids([0, -1, 2, 3]), { data: Float32Array.of(1), shape: [1] }), /expected integer ids in \[0, 5\), got -1/],
    ['class id out of range', () => idm.trainOnBatch(ids([0, 1, 2, 3]), { data: Float32Array.of(7), shape: [1] }), /not a class id in \[0, 2\)/],
    ['getAttention without attention', () => shared.getAttention(x), /getAttention: the model has no attention layer/],
    ['getAttention: unknown option', () => shared.getAttention(x, { layr: 'a' }), /getAttention: unknown option 'layr'/],
    ['getActivations: unknown layer', () => shared.getActivations(x, 'nope'), /getActivations: no layer named 'nope'/],
    ['setWeights: wrong count', () => shared.setWeights([]), /setWeights: the model has 4 weights, got 0/],
    ['setWeights: NaN', () => shared.setWeights(shared.getWeights().map((w, i) => (i === 0 ? { ...w, data: w.data.map(() => NaN) } : w))), /setWeights: weight 0 \(dense_\d+\/kernel\) contains NaN at index 0/],
    ['loadModel: not a model', () => aw.loadModel(new Uint8Array([1, 2, 3])), /loadModel: not an attention-wasm model file/],
    ['loadModel: truncated', () => aw.loadModel(file.slice(0, file.length >> 1)), /loadModel: checksum mismatch|truncated/],
    ['loadModel: wrong version', () => { const f = file.slice(); f[4] = 9; aw.loadModel(f); }, /loadModel: unsupported format version 9/],
    ['loadModel: not bytes', () => aw.loadModel('model'), /loadModel: expected the Uint8Array/],
    ['model: bad seed', () => aw.sequential({ seed: -1, layers: [aw.layers.dense({ units: 1, inputShape: [3] })] }), /option 'seed' must be a non-negative integer/],
  ];
}

test('bad input: each case throws a clear Error, nothing leaks, and the models still train', async () => {
  const shared = compiled(7);
  const bystander = compiled(8);
  const { x, y } = data(32, 3);
  const before = bystander.predict(x).data;
  const handles = aw.liveHandles();
  const made = [];
  const cases = badInputCases(shared, (m) => { made.push(m); return m; });
  assert.ok(cases.length >= 30);
  for (const [name, call, pattern] of cases) {
    await assert.rejects(async () => call(), (error) => {
      assert.ok(error instanceof Error, `${name}: not an Error: ${error}`);
      assertCheckedError(error);
      assert.match(error.message, pattern, `${name}: ${error.message}`);
      return true;
    }, name);
  }
  // The staging buffers of the failed calls were freed at once.
  for (const m of made) m.dispose();
  assert.equal(aw.liveHandles(), handles);
  const history = await shared.fit(x, y, { epochs: 30, batchSize: 8, seed: 1 });
  assert.ok(history.history.loss.at(-1) < history.history.loss[0] * 0.8, JSON.stringify(history.history.loss));
  assert.deepEqual(bystander.predict(x).data, before);
  shared.dispose();
  bystander.dispose();
});

test('a loss that becomes NaN stops fit naming the epoch and batch; the weights are from before it', async () => {
  const m = aw.sequential({ layers: [aw.layers.dense({ units: 1, useBias: false, inputShape: [1] })] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  m.setWeights([{ name: 'dense/kernel', shape: [1, 1], data: Float32Array.of(1e15) }]);
  const x = { data: Float32Array.of(1, 1, 1e20, 1e20), shape: [4, 1] };
  const y = { data: new Float32Array(4), shape: [4, 1] };
  let afterFirst = null;
  await assert.rejects(m.fit(x, y, { batchSize: 2, shuffle: false, epochs: 2, callbacks: {
    onBatchEnd(batch) { if (batch === 0) afterFirst = m.getWeights()[0].data[0]; },
  } }), /fit: the (loss|gradient) became .* at epoch 0, batch 1 \(counted from 0\); training stopped and the weights are those from before that batch/);
  assert.equal(m.getWeights()[0].data[0], afterFirst);
  assert.ok(Number.isFinite(afterFirst));
  m.setWeights([{ data: Float32Array.of(0.5), shape: [1, 1] }]);
  const h = await m.fit({ data: Float32Array.of(1, 2), shape: [2, 1] }, { data: Float32Array.of(1, 2), shape: [2, 1] });
  assert.ok(Number.isFinite(h.history.loss[0]));
  m.dispose();
});

test('batchSize larger than the data set trains one short batch per epoch', async () => {
  const m = compiled();
  const { x, y } = data(3);
  let batches = 0;
  const h = await m.fit(x, y, { batchSize: 64, epochs: 2, callbacks: { onBatchEnd() { batches++; } } });
  assert.equal(batches, 2);
  assert.equal(h.history.loss.length, 2);
  m.dispose();
});

test('dispose: twice, use after dispose, and dispose during fit throw clear errors', async () => {
  const handles = aw.liveHandles();
  const m = compiled();
  const { x, y } = data(8);
  m.dispose();
  assert.throws(() => m.dispose(), /model: this model has already been disposed/);
  assert.throws(() => m.predict(x), /model: this model has been disposed/);
  assert.throws(() => m.save(), /model: this model has been disposed/);
  await assert.rejects(m.fit(x, y), /model: this model has been disposed/);
  assert.equal(m.isDisposed, true);
  // Disposed from a callback while fit is running: fit stops with an error, and the wasm model
  // (kept alive by the running session) is freed when fit returns.
  const n = compiled();
  const big = data(64);
  await assert.rejects(n.fit(big.x, big.y, { batchSize: 4, epochs: 3, callbacks: {
    onBatchEnd(batch) { if (batch === 2) n.dispose(); },
  } }), /fit: the model was disposed during training/);
  assert.equal(aw.liveHandles(), handles);
  const other = compiled();
  await other.fit(big.x, big.y, { epochs: 1 });
  other.dispose();
});

// What users run: token ids -> embedding(maskZero) -> LSTM -> attention, with two outputs.
function attentionModel(seed) {
  const L = aw.layers;
  const tokens = aw.input({ shape: [6], name: 'tokens' });
  const h = L.lstm({ units: 6, returnSequences: true, name: 'encoder' })
    .apply(L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }).apply(tokens));
  const context = L.attention({ units: 4, score: seed % 2 ? 'bahdanau' : 'luong', name: 'att' }).apply(h);
  const p = L.dense({ units: 1, activation: 'sigmoid', name: 'p' }).apply(context);
  const q = L.dense({ units: 2, name: 'q' }).apply(context);
  const m = aw.model({ inputs: tokens, outputs: [p, q], seed });
  m.compile({ optimizer: 'adam', loss: ['binaryCrossentropy', 'mse'] });
  return m;
}
function tokenData(n, seed) {
  const ids = new Int32Array(n * 6);
  for (let i = 0; i < n; i++) {
    const padding = (i + seed) % 3;  // 'pre' padding
    for (let t = padding; t < 6; t++) ids[i * 6 + t] = 1 + ((i * 7 + t * 3 + seed) % 8);
  }
  const label = Float32Array.from({ length: n }, (_, i) => (ids[i * 6 + 5] > 4 ? 1 : 0));
  return { x: { data: ids, shape: [n, 6] }, y: [{ data: label, shape: [n, 1] }, randomTensorLocal([n, 2], seed)] };
}
function randomTensorLocal(shape, seed) {
  let state = seed >>> 0;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
  return { data, shape };
}

test('soak: 1,000 cycles of an attention model (fit, predict, getAttention, getActivations, save/load, multi-output lists) keep memory flat', async () => {
  const { x, y } = tokenData(16, 5);
  const start = Date.now();
  const cycle = async (i) => {
    const m = attentionModel(i);
    await m.fit(x, y, { epochs: 1, batchSize: 8, seed: i });
    const [p, q] = m.predict(x);
    assert.equal(p.shape[1] + q.shape[1], 3);
    const weights = m.getAttention(x, { layer: 'att' });
    assert.deepEqual(weights.shape, [16, 6]);
    m.getActivations(x, 'encoder');
    const loaded = aw.loadModel(m.save());
    loaded.getAttention(x);
    loaded.trainOnBatch(x, y);
    loaded.evaluate(x, y);
    m.dispose();
    loaded.dispose();
  };
  for (let i = 0; i < 50; i++) await cycle(i);  // warm-up: allocator pools, first-call caches
  const handles = aw.liveHandles();
  const heap = aw.heapBytesInUse();
  const memory = aw.memoryBytes();
  for (let i = 50; i < 1000; i++) await cycle(i);
  const seconds = (Date.now() - start) / 1000;
  console.log(`soak: 1000 cycles in ${seconds.toFixed(1)} s; heap in use ${heap} -> ${aw.heapBytesInUse()} bytes; ` +
    `wasm memory ${memory} -> ${aw.memoryBytes()} bytes; live handles ${handles} -> ${aw.liveHandles()}`);
  assert.equal(aw.liveHandles(), handles);
  assert.ok(aw.heapBytesInUse() <= heap + 4096, `heap in use grew: ${heap} -> ${aw.heapBytesInUse()}`);
  assert.equal(aw.memoryBytes(), memory);
});

// The same guarantee as the native no-allocation test, through the package: after the first
// batch, the bytes malloc'ed in wasm are identical after every batch of a JS fit, for every
// attention family on masked tokens.
test('wasm heap in use is identical after every batch of fit, for every attention layer', async () => {
  const L = aw.layers;
  const blocks = {
    attention: (e) => L.attention({ units: 4 }).apply(L.lstm({ units: 6, returnSequences: true }).apply(e)),
    additiveSelfAttention: (e) => L.additiveSelfAttention().apply(L.gru({ units: 4, returnSequences: true }).apply(e)),
    timeAttention: (e) => L.lstm({ units: 4 }).apply(L.timeAttention().apply(e)),
    featureAttention: (e) => L.featureAttention().apply(L.globalAveragePooling1D().apply(e)),
    dotAttention: (e) => L.globalAveragePooling1D().apply(L.dotAttention({ dropout: 0.1 }).apply([e, e])),
    additiveAttention: (e) => L.globalAveragePooling1D().apply(L.additiveAttention({ causal: true }).apply([e, e])),
    multiHeadAttention: (e) => L.globalAveragePooling1D().apply(L.multiHeadAttention({ numHeads: 2, keyDim: 3, dropout: 0.1 }).apply([e, e])),
  };
  const { x, y } = tokenData(40, 3);
  for (const [name, block] of Object.entries(blocks)) {
    const tokens = aw.input({ shape: [6] });
    const out = L.dense({ units: 1, activation: 'sigmoid' }).apply(block(L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }).apply(tokens)));
    const m = aw.model({ inputs: tokens, outputs: out, seed: 1 });
    try {
      m.compile({ optimizer: 'rmsprop', loss: 'binaryCrossentropy' });
      const inUse = [];
      await m.fit(x, y[0], { epochs: 3, batchSize: 8, callbacks: { onBatchEnd() { inUse.push(aw.heapBytesInUse()); } } });
      assert.equal(inUse.length, 15, name);
      const settled = inUse.slice(1);
      assert.ok(settled.every((v) => v === settled[0]), `${name}: heap in use varies over batches: ${[...new Set(settled)].join(', ')}`);
    } finally {
      m.dispose();
    }
  }
});

test('errors in the middle of the soak leave nothing behind either', async () => {
  const { x, y } = data(8);
  const bad = { data: new Float32Array(8 * 2), shape: [8, 2] };
  const m = compiled();
  await m.fit(x, y);
  m.predict(x);
  const handles = aw.liveHandles();
  const heap = aw.heapBytesInUse();
  for (let i = 0; i < 200; i++) {
    assert.throws(() => m.predict(bad), /expected shape/);
    await assert.rejects(m.fit(x, bad), /expected shape|target 0/);
    assert.throws(() => m.trainOnBatch(bad, y), /expected shape/);
    assert.throws(() => aw.loadModel(new Uint8Array(100)), /loadModel/);
  }
  assert.equal(aw.liveHandles(), handles);
  assert.ok(aw.heapBytesInUse() <= heap + 4096, `heap in use grew: ${heap} -> ${aw.heapBytesInUse()}`);
  m.dispose();
});

// trainOnBatch and predict fill the model's own staged input and target lists in place: after
// the first batch a call creates no handle and leaves the wasm heap exactly as it was, a smaller
// batch after a larger one reads only its own rows, and the numbers are fit's (which crosses in
// lists of its own). A staged batch past 1M floats is freed after its call, so the model does not
// keep a copy of a whole data set.
test('trainOnBatch and predict reuse the staged batch: no handles or heap per call, the same numbers', async () => {
  const { x, y } = data(64, 3);
  const first10 = { data: x.data.slice(0, 30), shape: [10, 3] };
  const staged = compiled(5), viaFit = compiled(5);
  const loss = staged.trainOnBatch(x, y).loss;
  const history = await viaFit.fit(x, y, { batchSize: 64, epochs: 1, shuffle: false });
  assert.equal(loss, history.history.loss[0]);
  assert.deepEqual(staged.getWeights(), viaFit.getWeights());
  const all = staged.predict(x);
  const some = staged.predict(first10);
  assert.deepEqual(some.shape, [10, 1]);
  assert.deepEqual(some.data, all.data.slice(0, 10));
  const handles = aw.liveHandles();
  const heap = aw.heapBytesInUse();
  for (let i = 0; i < 100; i++) {
    staged.trainOnBatch(x, y);
    staged.predict(first10);
    staged.predict(x);
  }
  assert.equal(aw.liveHandles(), handles);
  assert.equal(aw.heapBytesInUse(), heap);

  const rows = (1 << 20) / 3 + 1 | 0;  // just past the limit
  const big = data(rows, 4);
  const before = aw.heapBytesInUse();
  const bigOut = staged.predict(big.x, { batchSize: 64 });  // the batch size its buffers have
  assert.ok(aw.heapBytesInUse() <= before + 4096, `predict kept the big input: ${before} -> ${aw.heapBytesInUse()}`);
  const head = staged.predict({ data: big.x.data.slice(0, 192), shape: [64, 3] });
  assert.deepEqual(bigOut.data.slice(0, 64), head.data);
  staged.dispose();
  viaFit.dispose();
});

test('trainOnBatch logs follow compile: metric names of the last compile, values as numbers', () => {
  const { x, y } = data(16);
  const m = mlp();
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  const first = m.trainOnBatch(x, y);
  assert.deepEqual(Object.keys(first), ['loss', 'mae']);
  assert.ok(Object.values(first).every((v) => typeof v === 'number' && Number.isFinite(v)));
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mse'] });
  const second = m.trainOnBatch(x, y);
  assert.deepEqual(Object.keys(second), ['loss', 'mse']);
  assert.equal(second.loss, second.mse);
  m.dispose();
});
