// The public API of API.md, entry by entry (fit has its own file): loading, tensors, building
// models (functional DAGs with merges, several inputs and outputs, Sequential), compile,
// predict, evaluate, trainOnBatch, looking inside, weights, saving, disposing.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as pkg from 'attention-wasm';
import { aw, assertClose, assertError, oneHot, randomTensor, sameBits, trainSmallModel } from './support.mjs';

const L = aw.layers;

test('init loads once: a second call returns the same instance', async () => {
  const again = await pkg.init();
  assert.equal(again, aw);
  const [a, b] = await Promise.all([pkg.init(), pkg.init()]);
  assert.equal(a, aw);
  assert.equal(b, aw);
  assert.ok(Object.isFrozen(aw));
});

test('version and backend', async () => {
  const { readFile } = await import('node:fs/promises');
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(aw.version, manifest.version);
  assert.match(aw.version, /^\d+\.\d+\.\d+$/);
  // Node shares memory with worker threads: the threaded variant unless one thread is asked for.
  assert.equal(aw.backend, aw.threads > 1 ? 'wasm-simd128-threads' : 'wasm-simd128');
  assert.ok(Number.isInteger(aw.threads) && aw.threads >= 1);
  assert.equal(typeof aw.simdArchitecture, 'string');
  assert.ok(aw.memoryBytes() > 0);
});

test('the package also exports tensor, padSequences and text without init', () => {
  assert.equal(typeof pkg.tensor, 'function');
  assert.equal(typeof pkg.padSequences, 'function');
  assert.equal(typeof pkg.text.tokenizer, 'function');
  assert.deepEqual(pkg.tensor([[1, 2]]).shape, [1, 2]);
});

test('tensor: typed arrays, nested arrays, explicit shapes, size checks', () => {
  const f = aw.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  assert.deepEqual(f.shape, [2, 3]);
  assert.ok(f.data instanceof Float32Array);
  const i = aw.tensor(new Int32Array([1, 2, 3]));
  assert.deepEqual(i.shape, [3]);
  assert.ok(i.data instanceof Int32Array, 'token ids stay Int32');
  const n = aw.tensor([[[1], [2]], [[3], [4]], [[5], [6]]]);
  assert.deepEqual(n.shape, [3, 2, 1]);
  assert.deepEqual([...n.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(aw.tensor([1, 2, 3, 4], [2, 2]).shape, [2, 2]);
  const d = aw.tensor(new Float64Array([0.5, 1.5]));
  assert.ok(d.data instanceof Float32Array, 'other typed arrays become Float32');
  assert.deepEqual(aw.tensor({ data: new Float32Array(4), shape: [4, 1] }).shape, [4, 1]);
  assertError(() => aw.tensor(new Float32Array(5), [2, 3]), /tensor/, /shape \[2,3\] holds 6 values, got 5/);
  assertError(() => aw.tensor([[1, 2], [3]]), /ragged/, /expected length 2/);
  assertError(() => aw.tensor([[1, 'a']]), /expected a number at tensor\[0\]\[1\]/);
  assertError(() => aw.tensor([1, 2], [-1, -2]), /non-negative integers/);
  assertError(() => aw.tensor('abc'), /expected a Float32Array/);
});

test('functional DAG: shared input, branches merged by add/multiply/concatenate, two outputs', () => {
  const x = aw.input({ shape: [6, 3], name: 'seq' });
  const h = L.lstm({ units: 4, returnSequences: true, name: 'enc' }).apply(x);
  const a = L.timeAttention({ name: 'tatt' }).apply(h);
  const b = L.additiveSelfAttention({ returnSequences: true, name: 'self' }).apply(h);
  const sum = L.add().apply([a, b]);
  const prod = L.multiply().apply([a, b]);
  const joined = L.concatenate({ axis: -1 }).apply([sum, prod]);
  const pooled = L.globalAveragePooling1D().apply(joined);
  const regression = L.dense({ units: 1, name: 'value' }).apply(pooled);
  const classes = L.dense({ units: 3, activation: 'softmax', name: 'label' }).apply(pooled);
  const model = aw.model({ inputs: x, outputs: [regression, classes], name: 'two_heads', seed: 1 });
  try {
    assert.equal(model.name, 'two_heads');
    assert.equal(model.inputCount, 1);
    assert.equal(model.outputCount, 2);
    const names = model.layers.map((l) => l.name);
    assert.deepEqual(names.slice(0, 4), ['seq', 'enc', 'tatt', 'self']);
    assert.ok(names.includes('add') || names.includes('add_1'), `Keras default names: ${names}`);
    const xs = randomTensor([5, 6, 3], 2);
    const out = model.predict(xs);
    assert.equal(out.length, 2);
    assert.deepEqual(out[0].shape, [5, 1]);
    assert.deepEqual(out[1].shape, [5, 3]);
    for (let s = 0; s < 5; s++) {
      const row = out[1].data.slice(s * 3, s * 3 + 3);
      assert.ok(Math.abs(row.reduce((p, q) => p + q, 0) - 1) < 1e-5, 'softmax rows sum to 1');
    }
    // One loss per output, by output name as Keras.
    model.compile({ optimizer: 'adam', loss: { value: 'mse', label: 'categoricalCrossentropy' }, metrics: ['accuracy'] });
    const ys = [randomTensor([5, 1], 3), oneHot(5, 3)];
    const logs = model.trainOnBatch(xs, ys);
    assert.ok(Number.isFinite(logs.loss));
    const ev = model.evaluate(xs, ys);
    assert.ok(Number.isFinite(ev.loss));
    assert.ok(Object.keys(ev).some((k) => k.startsWith('value')), `per-output logs: ${Object.keys(ev)}`);
    // The same losses as a list in output order give the same evaluation.
    model.compile({ optimizer: 'adam', loss: ['mse', 'categoricalCrossentropy'], metrics: ['accuracy'] });
    assert.deepEqual(model.evaluate(xs, ys), ev);
    assertError(() => model.compile({ optimizer: 'adam', loss: { value: 'mse', nope: 'mse' } }), /compile: 'loss' has no loss name for output 'label'/);
    assertError(() => model.compile({ optimizer: 'adam', loss: { value: 'mse', label: 'mse', nope: 'mse' } }), /compile: 'loss' names 3 outputs, the model has 2/);
    assertError(() => model.compile({ optimizer: 'adam', loss: ['mse'] }), /compile/, /2/);
    // Several attention layers: getAttention needs a name.
    assertError(() => model.getAttention(xs), /getAttention/, /several attention layers/, /pass a layer name/);
    assert.deepEqual(model.getAttention(xs, { layer: 'tatt' }).shape, [5, 6, 4]);
    assert.deepEqual(model.getAttention(xs, { layer: 'self' }).shape, [5, 6]);
  } finally {
    model.dispose();
  }
});

test('multiple inputs: dotAttention on [query, value], inputs passed as an array', () => {
  const q = aw.input({ shape: [3, 4] });
  const v = aw.input({ shape: [5, 4] });
  const c = L.dotAttention({ name: 'cross' }).apply([q, v]);
  const y = L.dense({ units: 2 }).apply(L.flatten().apply(c));
  const model = aw.model({ inputs: [q, v], outputs: y, seed: 4 });
  try {
    assert.equal(model.inputCount, 2);
    const xq = randomTensor([2, 3, 4], 1);
    const xv = randomTensor([2, 5, 4], 2);
    assert.deepEqual(model.predict([xq, xv]).shape, [2, 2]);
    const a = model.getAttention([xq, xv]);
    assert.deepEqual(a.shape, [2, 3, 5]);
    for (let r = 0; r < 6; r++) {
      const sum = a.data.slice(r * 5, r * 5 + 5).reduce((p, t) => p + t, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, 'each query row of attention sums to 1');
    }
    assertError(() => model.predict(xq), /predict: x/, /the model has 2 of them/);
    assertError(() => model.predict([xq]), /pass an array of 2 tensors/);
  } finally {
    model.dispose();
  }
});

test('multi-output layer: lstm returnState gives three symbolic tensors', () => {
  const x = aw.input({ shape: [4, 2] });
  const outs = L.lstm({ units: 3, returnState: true, name: 'rnn' }).apply(x);
  assert.equal(outs.length, 3);
  for (const o of outs) assert.deepEqual(o.shape, [null, 3]);
  const [, h, c] = outs;
  const model = aw.model({ inputs: x, outputs: [h, c] });
  try {
    const xs = randomTensor([2, 4, 2], 3);
    const [ph, pc] = model.predict(xs);
    assert.deepEqual(ph.shape, [2, 3]);
    assert.deepEqual(pc.shape, [2, 3]);
    // getActivations returns every output of the layer.
    const acts = model.getActivations(xs, 'rnn');
    assert.equal(acts.length, 3);
    assert.ok(sameBits(acts[1].data, ph.data));
    assert.ok(sameBits(acts[2].data, pc.data));
  } finally {
    model.dispose();
  }
});

test('a model without a seed uses the core default (0x5eed), as C++ does', () => {
  const layers = () => [L.dense({ units: 4, inputShape: [3], activation: 'tanh' }), L.dense({ units: 2 })];
  const unseeded = aw.sequential({ layers: layers() });
  const coreDefault = aw.sequential({ layers: layers(), seed: 0x5eed });
  const zero = aw.sequential({ layers: layers(), seed: 0 });
  try {
    const xs = randomTensor([4, 3], 1);
    assert.ok(sameBits(unseeded.predict(xs).data, coreDefault.predict(xs).data));
    assert.ok(!sameBits(unseeded.predict(xs).data, zero.predict(xs).data));
    assert.throws(() => aw.sequential({ layers: layers(), seed: -1 }), /^Error: model: option 'seed' must be a non-negative integer, got -1$/);
  } finally {
    unseeded.dispose();
    coreDefault.dispose();
    zero.dispose();
  }
});

test('sequential and functional give the same model for the same seed', () => {
  const seq = aw.sequential({ layers: [L.dense({ units: 4, inputShape: [3], activation: 'tanh' }), L.dense({ units: 2 })], seed: 9 });
  const x = aw.input({ shape: [3] });
  const fun = aw.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x)), seed: 9 });
  try {
    const xs = randomTensor([4, 3], 1);
    assert.ok(sameBits(seq.predict(xs).data, fun.predict(xs).data));
    assert.equal(seq.countParams(), fun.countParams());
  } finally {
    seq.dispose();
    fun.dispose();
  }
});

test('compile: every optimizer and loss, as strings and as objects', async () => {
  const optimizers = ['adam', 'sgd', 'rmsprop',
    { type: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
    { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true },
    { type: 'rmsprop', learningRate: 0.005, rho: 0.8, momentum: 0.1, epsilon: 1e-6 }];
  const losses = [
    { loss: 'mse', units: 2, activation: 'linear', y: randomTensor([8, 2], 5) },
    { loss: 'mae', units: 2, activation: 'linear', y: randomTensor([8, 2], 5) },
    { loss: 'binaryCrossentropy', units: 1, activation: 'sigmoid', y: { data: Float32Array.from({ length: 8 }, (_, i) => i % 2), shape: [8, 1] } },
    { loss: 'categoricalCrossentropy', units: 3, activation: 'softmax', y: oneHot(8, 3) },
    { loss: 'sparseCategoricalCrossentropy', units: 3, activation: 'softmax', y: { data: Float32Array.from({ length: 8 }, (_, i) => i % 3), shape: [8, 1] } },
  ];
  const x = randomTensor([8, 4], 6);
  for (const optimizer of optimizers) {
    for (const spec of losses) {
      const model = aw.sequential({ layers: [L.dense({ units: spec.units, activation: spec.activation, inputShape: [4] })], seed: 1 });
      try {
        model.compile({ optimizer, loss: spec.loss, metrics: ['accuracy'] });
        const before = model.evaluate(x, spec.y).loss;
        const h = await model.fit(x, spec.y, { epochs: 15, batchSize: 8, shuffle: false });
        const after = model.evaluate(x, spec.y);
        assert.ok(after.loss < before, `${JSON.stringify(optimizer)} / ${spec.loss}: loss ${before} -> ${after.loss}`);
        assert.ok('accuracy' in after, `${spec.loss}: accuracy reported`);
        assert.equal(h.history.loss.length, 15);
      } finally {
        model.dispose();
      }
    }
  }
});

test('predict: batchSize does not change the result; evaluate and trainOnBatch return logs', () => {
  const model = aw.sequential({ layers: [L.lstm({ units: 5, inputShape: [4, 2] }), L.dense({ units: 3, activation: 'softmax' })], seed: 3 });
  try {
    const x = randomTensor([10, 4, 2], 8);
    const whole = model.predict(x);
    for (const batchSize of [1, 3, 10, 64]) {
      const p = model.predict(x, { batchSize });
      assert.deepEqual(p.shape, [10, 3]);
      assertClose(p.data, whole.data, 1e-6, `batchSize ${batchSize}`);
    }
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const y = oneHot(10, 3);
    const ev = model.evaluate(x, y, { batchSize: 4 });
    assert.deepEqual(Object.keys(ev).sort(), ['accuracy', 'loss']);
    assert.ok(ev.accuracy >= 0 && ev.accuracy <= 1);
    const first = model.trainOnBatch(x, y);
    assert.ok(Number.isFinite(first.loss));
    let last = first;
    for (let i = 0; i < 30; i++) last = model.trainOnBatch(x, y);
    assert.ok(last.loss < first.loss, `trainOnBatch trains: ${first.loss} -> ${last.loss}`);
  } finally {
    model.dispose();
  }
});

function attentionModel() {
  const x = aw.input({ shape: [6, 2] });
  const h = L.lstm({ units: 4, returnSequences: true, name: 'lstm_enc' }).apply(x);
  const c = L.attention({ units: 3, name: 'attn' }).apply(h);
  const y = L.dense({ units: 1, name: 'out' }).apply(c);
  return aw.model({ inputs: x, outputs: y, seed: 5 });
}

test('getAttention (default and named layer) and getActivations', () => {
  const model = attentionModel();
  try {
    const x = randomTensor([3, 6, 2], 1);
    const a = model.getAttention(x);
    assert.deepEqual(a.shape, [3, 6]);
    for (let s = 0; s < 3; s++) {
      const sum = a.data.slice(s * 6, s * 6 + 6).reduce((p, q) => p + q, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
    assert.ok(sameBits(model.getAttention(x, { layer: 'attn' }).data, a.data));
    const h = model.getActivations(x, 'lstm_enc');
    assert.deepEqual(h.shape, [3, 6, 4]);
    const c = model.getActivations(x, 'attn');
    assert.deepEqual(c.shape, [3, 3]);
    const out = model.getActivations(x, 'out');
    assert.ok(sameBits(out.data, model.predict(x).data), 'the last layer\'s activations are the predictions');
    assertError(() => model.getAttention(x, { layer: 'lstm_enc' }), /getAttention/, /lstm_enc/, /has no attention weights/);
    assertError(() => model.getAttention(x, { layer: 'nope' }), /getAttention: no layer named 'nope'/);
    assertError(() => model.getActivations(x, 'nope'), /getActivations: no layer named 'nope'/);
    // batchSize: the same values whatever the batch (no layer here couples the samples).
    assert.ok(sameBits(model.getAttention(x, { batchSize: 1 }).data, a.data));
    assert.ok(sameBits(model.getActivations(x, 'lstm_enc', { batchSize: 2 }).data, h.data));
    assertError(() => model.getActivations(x, 'lstm_enc', { batchSize: 0 }), /getActivations/, /batchSize/);
    assertError(() => model.getActivations(x, 'lstm_enc', { batch: 2 }), /getActivations: unknown option 'batch'/);
  } finally {
    model.dispose();
  }
});

test('summary, countParams, layers', () => {
  const model = attentionModel();
  try {
    // LSTM 4*(4*(2+4)+4) = 112, attention (luong, units 3): W (4,4) + Wc (8,3) = 40, dense 3+1 = 4.
    assert.equal(model.countParams(), 112 + 40 + 4);
    let printed = null;
    const text = model.summary((s) => { printed = s; });
    assert.equal(printed, text);
    assert.equal(model.summary(null), text);
    for (const name of ['lstm_enc', 'attn', 'out']) assert.ok(text.includes(name), `summary names ${name}`);
    assert.match(text, /Total params: 156/);
    assert.match(text, /\(None, 6, 4\)/);
    const layers = model.layers;
    assert.deepEqual(layers.map((l) => [l.name, l.type, l.params, l.attention]),
      [['input_1', 'InputLayer', 0, false], ['lstm_enc', 'LSTM', 112, false], ['attn', 'Attention', 40, true], ['out', 'Dense', 4, false]]);
    assert.deepEqual(layers[1].outputShape, [null, 6, 4]);
    assert.deepEqual(model.inputs, [{ name: 'input_1', shape: [null, 6, 2] }]);
  } finally {
    model.dispose();
  }
});

test('getWeights / setWeights: Keras names and order, round trip, errors', () => {
  const a = attentionModel();
  const b = aw.sequential({ layers: [L.dense({ units: 1, inputShape: [2] })] });
  try {
    const w = a.getWeights();
    assert.deepEqual(w.map((t) => t.name).slice(0, 3), ['lstm_enc/kernel', 'lstm_enc/recurrent_kernel', 'lstm_enc/bias']);
    assert.deepEqual(w[0].shape, [2, 16]);
    assert.deepEqual(w[1].shape, [4, 16]);
    // Keras' unit_forget_bias: the forget-gate block of the LSTM bias starts at one.
    assert.deepEqual([...w[2].data], [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(w.reduce((n, t) => n + t.data.length, 0), a.countParams());
    const x = randomTensor([2, 6, 2], 4);
    const before = a.predict(x);
    // Change every weight, check predictions change, restore, check they are back bit for bit.
    a.setWeights(w.map((t) => ({ ...t, data: t.data.map((v) => v + 0.1) })));
    assert.ok(!sameBits(a.predict(x).data, before.data));
    a.setWeights(w);
    assert.ok(sameBits(a.predict(x).data, before.data));
    assert.ok(a.getWeights().every((t, i) => sameBits(t.data, w[i].data)));
    // Plain arrays without names are accepted (by position).
    b.setWeights([{ data: [1, 2], shape: [2, 1] }, { data: [0.5] }]);
    assert.deepEqual([...b.predict([[1, 1]]).data], [3.5]);
    // Nested arrays, as a Keras weight list (kernel (2, 1)) arrives.
    b.setWeights([{ data: [[2], [3]] }, { data: [1] }]);
    assert.deepEqual([...b.predict([[1, 1]]).data], [6]);
    // A one-element list of tensors for a single-input model, as Keras accepts.
    assert.deepEqual([...b.predict([{ data: new Float32Array([1, 1]), shape: [1, 2] }]).data], [6]);

    assertError(() => a.setWeights(w.slice(1)), /setWeights/, /expected 8 weights?, got 7|7/);
    assertError(() => a.setWeights(w.map((t, i) => (i === 0 ? { ...t, shape: [16, 2] } : t))), /setWeights/, /lstm_enc\/kernel/);
    assertError(() => a.setWeights(w.map((t, i) => (i === 0 ? { ...t, data: t.data.slice(1) } : t))), /setWeights: weights\[0\]/);
    assertError(() => a.setWeights('nope'), /setWeights: expected an array/);
    assertError(() => a.setWeights([null]), /setWeights: weights\[0\] must be/);
    // Nothing was half-applied by the failed calls.
    assert.ok(sameBits(a.predict(x).data, before.data));
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('save / loadModel: bit-identical predictions, compile state and optimizer kept', async () => {
  const model = attentionModel();
  try {
    model.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse' });
    const x = randomTensor([8, 6, 2], 1);
    const y = randomTensor([8, 1], 2);
    await model.fit(x, y, { epochs: 2, batchSize: 4, seed: 1 });
    const bytes = model.save();
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(bytes.slice(0, 4)), 'ATWM');
    const copy = aw.loadModel(bytes);
    const fromBuffer = aw.loadModel(bytes.slice().buffer);
    try {
      assert.ok(sameBits(copy.predict(x).data, model.predict(x).data));
      assert.ok(sameBits(fromBuffer.predict(x).data, model.predict(x).data));
      assert.deepEqual(copy.toJSON(), model.toJSON());
      // The optimizer state travels too: one more identical step on both gives identical weights.
      const la = model.trainOnBatch(x, y);
      const lb = copy.trainOnBatch(x, y);
      assert.equal(la.loss, lb.loss);
      assert.ok(copy.getWeights().every((t, i) => sameBits(t.data, model.getWeights()[i].data)));
    } finally {
      copy.dispose();
      fromBuffer.dispose();
    }
    assertError(() => aw.loadModel('abc'), /loadModel: expected the Uint8Array/);
    assertError(() => aw.loadModel(bytes.slice(0, 20)), /loadModel/);
    const corrupt = bytes.slice();
    corrupt[corrupt.length >> 1] ^= 0xff;
    assertError(() => aw.loadModel(corrupt), /loadModel/);
    await trainSmallModel();
  } finally {
    model.dispose();
  }
});

test('toJSON: Keras-like architecture config', () => {
  const model = attentionModel();
  try {
    const json = model.toJSON();
    assert.equal(json.className, 'Model');
    const layers = json.config.layers;
    assert.deepEqual(layers.map((l) => l.className), ['InputLayer', 'LSTM', 'Attention', 'Dense']);
    const attn = layers.find((l) => l.config.name === 'attn');
    assert.equal(attn.config.units, 3);
    assert.equal(attn.config.score, 'luong');
    assert.ok(JSON.stringify(json).length < 10000, 'the architecture alone, no weights');
    assert.deepEqual(json.config.inputLayers, [['input_1', 0]]);
    assert.deepEqual(json.config.outputLayers, [['out', 0]]);
  } finally {
    model.dispose();
  }
});

test('dispose: use after dispose and double dispose throw; other models are unaffected', async () => {
  const keep = attentionModel();
  const model = attentionModel();
  const x = randomTensor([1, 6, 2], 1);
  const expected = keep.predict(x);
  assert.equal(model.isDisposed, false);
  model.dispose();
  assert.equal(model.isDisposed, true);
  for (const use of [() => model.predict(x), () => model.summary(), () => model.countParams(), () => model.save(),
    () => model.getWeights(), () => model.layers, () => model.toJSON(), () => model.compile({ optimizer: 'sgd', loss: 'mse' })]) {
    assertError(use, /model: this model has been disposed/);
  }
  await assert.rejects(model.fit(x, x), /model: this model has been disposed/);
  assertError(() => model.dispose(), /already been disposed/);
  assert.ok(sameBits(keep.predict(x).data, expected.data));
  keep.dispose();
});

test('two models built from one graph are independent copies (no weight sharing, unlike Keras)', () => {
  const x = aw.input({ shape: [3] });
  const h = L.dense({ units: 4, name: 'hidden' }).apply(x);
  const y = L.dense({ units: 1, name: 'head' }).apply(h);
  const full = aw.model({ inputs: x, outputs: y, seed: 1 });
  const encoder = aw.model({ inputs: x, outputs: h, seed: 1 });
  try {
    const xs = randomTensor([2, 3], 1);
    assert.ok(sameBits(encoder.predict(xs).data, full.getActivations(xs, 'hidden').data), 'same seed, same initial weights');
    full.setWeights(full.getWeights().map((w) => ({ ...w, data: w.data.map((v) => v * 2) })));
    assert.ok(!sameBits(encoder.predict(xs).data, full.getActivations(xs, 'hidden').data), 'changing one leaves the other');
  } finally {
    full.dispose();
    encoder.dispose();
  }
});
