// Every layer factory of API.md, each built inside a model: the symbolic shape apply() infers,
// the shape predict() returns, finite outputs, and a save/load round trip with bit-identical
// predictions (which also proves the layer's config, nested layers included, serializes).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aw, randomIds, randomTensor, sameBits, allFinite } from './support.mjs';

const L = aw.layers;
const B = 3;

// Each case: a per-sample input shape list (or ids), the layers applied, the output shape per
// sample. `dtype: 'int32'` feeds token ids.
const cases = [
  { name: 'dense', inputs: [[5]], apply: ([x]) => L.dense({ units: 3, activation: 'relu' }).apply(x), out: [3] },
  { name: 'dense with l2', inputs: [[5]], apply: ([x]) => L.dense({ units: 2, useBias: false, kernelRegularizer: { l2: 0.01 } }).apply(x), out: [2] },
  { name: 'activation', inputs: [[5]], apply: ([x]) => L.activation({ activation: 'gelu' }).apply(x), out: [5] },
  { name: 'dropout', inputs: [[5]], apply: ([x]) => L.dropout({ rate: 0.5 }).apply(x), out: [5], identity: true },
  { name: 'flatten', inputs: [[4, 3]], apply: ([x]) => L.flatten().apply(x), out: [12] },
  { name: 'reshape', inputs: [[12]], apply: ([x]) => L.reshape({ targetShape: [3, 4] }).apply(x), out: [3, 4] },
  { name: 'permute', inputs: [[4, 3]], apply: ([x]) => L.permute({ dims: [2, 1] }).apply(x), out: [3, 4] },
  { name: 'repeatVector', inputs: [[5]], apply: ([x]) => L.repeatVector({ n: 3 }).apply(x), out: [3, 5] },
  { name: 'embedding', inputs: [[6]], dtype: 'int32', apply: ([x]) => L.embedding({ inputDim: 10, outputDim: 4 }).apply(x), out: [6, 4] },
  { name: 'batchNormalization', inputs: [[5]], apply: ([x]) => L.batchNormalization().apply(x), out: [5] },
  { name: 'layerNormalization', inputs: [[4, 5]], apply: ([x]) => L.layerNormalization().apply(x), out: [4, 5] },
  { name: 'timeDistributed(dense)', inputs: [[4, 3]], apply: ([x]) => L.timeDistributed({ layer: L.dense({ units: 2 }) }).apply(x), out: [4, 2] },
  { name: 'globalAveragePooling1D', inputs: [[4, 3]], apply: ([x]) => L.globalAveragePooling1D().apply(x), out: [3] },
  { name: 'conv1D causal dilated', inputs: [[8, 3]], apply: ([x]) => L.conv1D({ filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu' }).apply(x), out: [8, 4] },
  { name: 'conv1D same strides', inputs: [[7, 3]], apply: ([x]) => L.conv1D({ filters: 2, kernelSize: [4], strides: 2, padding: 'same' }).apply(x), out: [4, 2] },
  { name: 'maxPooling1D', inputs: [[7, 3]], apply: ([x]) => L.maxPooling1D({ poolSize: 2 }).apply(x), out: [3, 3] },
  { name: 'averagePooling1D same', inputs: [[7, 3]], apply: ([x]) => L.averagePooling1D({ poolSize: 3, strides: 2, padding: 'same' }).apply(x), out: [4, 3] },
  { name: 'globalMaxPooling1D', inputs: [[4, 3]], apply: ([x]) => L.globalMaxPooling1D().apply(x), out: [3] },
  { name: 'masking', inputs: [[4, 3]], apply: ([x]) => L.masking({ maskValue: -9 }).apply(x), out: [4, 3], identity: true },
  { name: 'spatialDropout1D', inputs: [[4, 3]], apply: ([x]) => L.spatialDropout1D({ rate: 0.3 }).apply(x), out: [4, 3], identity: true },
  { name: 'lambdaSum', inputs: [[4, 3]], apply: ([x]) => L.lambdaSum({ axis: -2 }).apply(x), out: [3] },
  { name: 'multiply', inputs: [[3], [3]], apply: ([a, b]) => L.multiply().apply([a, b]), out: [3] },
  { name: 'add', inputs: [[3], [3]], apply: ([a, b]) => L.add().apply([a, b]), out: [3] },
  { name: 'average', inputs: [[3], [3], [3]], apply: ([a, b, c]) => L.average().apply([a, b, c]), out: [3] },
  { name: 'maximum', inputs: [[2, 3], [2, 3]], apply: ([a, b]) => L.maximum().apply([a, b]), out: [2, 3] },
  { name: 'concatenate', inputs: [[3], [2]], apply: ([a, b]) => L.concatenate({ axis: -1 }).apply([a, b]), out: [5] },
  { name: 'dot', inputs: [[3], [3]], apply: ([a, b]) => L.dot({ axes: 1 }).apply([a, b]), out: [1] },
  { name: 'lstm', inputs: [[5, 3]], apply: ([x]) => L.lstm({ units: 4 }).apply(x), out: [4] },
  { name: 'lstm returnSequences goBackwards', inputs: [[5, 3]], apply: ([x]) => L.lstm({ units: 4, returnSequences: true, goBackwards: true }).apply(x), out: [5, 4] },
  { name: 'gru resetAfter', inputs: [[5, 3]], apply: ([x]) => L.gru({ units: 4, returnSequences: true, resetAfter: true }).apply(x), out: [5, 4] },
  { name: 'gru resetAfter false', inputs: [[5, 3]], apply: ([x]) => L.gru({ units: 4, resetAfter: false }).apply(x), out: [4] },
  { name: 'simpleRNN', inputs: [[5, 3]], apply: ([x]) => L.simpleRNN({ units: 4 }).apply(x), out: [4] },
  { name: 'bidirectional(lstm) concat', inputs: [[5, 3]], apply: ([x]) => L.bidirectional({ layer: L.lstm({ units: 4, returnSequences: true }) }).apply(x), out: [5, 8] },
  { name: 'bidirectional(gru) ave', inputs: [[5, 3]], apply: ([x]) => L.bidirectional({ layer: L.gru({ units: 4 }), mergeMode: 'ave' }).apply(x), out: [4] },
  { name: 'attention luong', inputs: [[6, 4]], apply: ([x]) => L.attention({ units: 5, score: 'luong' }).apply(x), out: [5], attention: [6] },
  { name: 'attention bahdanau', inputs: [[6, 4]], apply: ([x]) => L.attention({ units: 5, score: 'bahdanau' }).apply(x), out: [5], attention: [6] },
  { name: 'additiveSelfAttention', inputs: [[6, 4]], apply: ([x]) => L.additiveSelfAttention({ returnSequences: true }).apply(x), out: [6, 4], attention: [6] },
  { name: 'additiveSelfAttention summed', inputs: [[6, 4]], apply: ([x]) => L.additiveSelfAttention().apply(x), out: [4], attention: [6] },
  { name: 'timeAttention', inputs: [[6, 4]], apply: ([x]) => L.timeAttention().apply(x), out: [6, 4], attention: [6, 4] },
  { name: 'timeAttention singleVector', inputs: [[6, 4]], apply: ([x]) => L.timeAttention({ singleVector: true }).apply(x), out: [6, 4], attention: [6] },
  { name: 'featureAttention', inputs: [[5]], apply: ([x]) => L.featureAttention().apply(x), out: [5], attention: [5] },
  { name: 'dotAttention [query, value]', inputs: [[4, 3], [6, 3]], apply: ([q, v]) => L.dotAttention({ useScale: true }).apply([q, v]), out: [4, 3], attention: [4, 6] },
  { name: 'dotAttention concat causal', inputs: [[4, 3], [4, 3]], apply: ([q, v]) => L.dotAttention({ scoreMode: 'concat', causal: true }).apply([q, v]), out: [4, 3], attention: [4, 4] },
  { name: 'additiveAttention [query, value, key]', inputs: [[4, 3], [6, 3], [6, 3]], apply: ([q, v, k]) => L.additiveAttention({ useScale: true }).apply([q, v, k]), out: [4, 3], attention: [4, 6] },
  { name: 'multiHeadAttention', inputs: [[4, 6], [5, 6]], apply: ([q, v]) => L.multiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([q, v]), out: [4, 6], attention: [2, 4, 5] },
];

// Every factory of API.md's tables appears above.
test('the cases cover every layer factory', () => {
  const covered = new Set(cases.map((c) => c.name.split(/[ (]/)[0]));
  const missing = Object.keys(aw.layers).filter((f) => !covered.has(f));
  assert.deepEqual(missing, []);
});

function feed(c, seed) {
  return c.inputs.map((shape, i) => (c.dtype === 'int32'
    ? randomIds([B, ...shape], 10, seed + i) : randomTensor([B, ...shape], seed + i)));
}

for (const c of cases) {
  test(`layer ${c.name}: apply shape, predict shape, save/load`, () => {
    const inputs = c.inputs.map((shape) => aw.input({ shape, dtype: c.dtype }));
    const y = c.apply(inputs);
    assert.deepEqual(y.shape, [null, ...c.out], 'symbolic shape from apply()');
    const model = aw.model({ inputs: inputs.length === 1 ? inputs[0] : inputs, outputs: y, seed: 11 });
    try {
      const xs = feed(c, 5);
      const out = model.predict(xs.length === 1 ? xs[0] : xs);
      assert.deepEqual(out.shape, [B, ...c.out]);
      assert.ok(out.data instanceof Float32Array);
      assert.ok(allFinite(out.data));
      if (c.identity) assert.ok(sameBits(out.data, xs[0].data), 'inference is the identity');
      if (c.attention) {
        const a = model.getAttention(xs.length === 1 ? xs[0] : xs);
        assert.deepEqual(a.shape, [B, ...c.attention]);
        assert.ok(a.data.every((v) => v >= 0 && v <= 1), 'attention weights are probabilities');
      }
      const copy = aw.loadModel(model.save());
      try {
        assert.deepEqual(copy.toJSON(), model.toJSON());
        const again = copy.predict(xs.length === 1 ? xs[0] : xs);
        assert.ok(sameBits(again.data, out.data), 'loaded model predicts bit for bit the same');
      } finally {
        copy.dispose();
      }
      // A gradient step through the layer works (merge layers and wrappers included).
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      const target = { data: new Float32Array(out.data.length).fill(0.5), shape: out.shape };
      const { loss } = model.trainOnBatch(xs.length === 1 ? xs[0] : xs, target);
      assert.ok(Number.isFinite(loss));
    } finally {
      model.dispose();
    }
  });
}

test('sequential: the first layer carries inputShape; wrappers serialize their inner layer', () => {
  const model = aw.sequential({
    layers: [
      L.embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputShape: [7] }),
      L.bidirectional({ layer: L.lstm({ units: 3, returnSequences: true, name: 'inner' }), mergeMode: 'sum' }),
      L.timeDistributed({ layer: L.dense({ units: 2, activation: 'tanh' }) }),
      L.attention({ units: 4, name: 'attn' }),
      L.dense({ units: 1, activation: 'sigmoid' }),
    ],
    seed: 2,
  });
  try {
    const config = model.toJSON();
    assert.equal(config.className, 'Sequential');
    const layers = config.config.layers;
    const bidi = layers.find((l) => l.className === 'Bidirectional');
    assert.equal(bidi.config.layer.className, 'LSTM');
    assert.equal(bidi.config.layer.config.units, 3);
    assert.equal(bidi.config.layer.config.returnSequences, true);
    assert.equal(bidi.config.mergeMode, 'sum');
    const td = layers.find((l) => l.className === 'TimeDistributed');
    assert.equal(td.config.layer.className, 'Dense');
    assert.equal(td.config.layer.config.units, 2);
    assert.equal(td.config.layer.config.activation, 'tanh');
    assert.deepEqual(model.layers.map((l) => l.type),
      ['Embedding', 'Bidirectional', 'TimeDistributed', 'Attention', 'Dense']);
    const ids = randomIds([2, 7], 20, 4);
    const p = model.predict(ids);
    assert.deepEqual(p.shape, [2, 1]);
    const copy = aw.loadModel(model.save());
    try {
      assert.ok(sameBits(copy.predict(ids).data, p.data));
    } finally {
      copy.dispose();
    }
  } finally {
    model.dispose();
  }
});

test('layer objects: type, name, JSON spec with nested layers', () => {
  const inner = L.lstm({ units: 3 });
  const bidi = L.bidirectional({ layer: inner, name: 'bi' });
  assert.equal(bidi.type, 'bidirectional');
  assert.equal(bidi.name, 'bi');
  // Plain data all the way down (structured-clone safe, e.g. for postMessage to a worker).
  const spec = bidi.toJSON();
  assert.deepEqual(spec, { className: 'bidirectional', config: { layer: { className: 'lstm', config: { units: 3 } }, name: 'bi' } });
  assert.deepEqual(structuredClone(spec), spec);
  const td = L.timeDistributed({ layer: L.dense({ units: 2 }) }).toJSON();
  assert.deepEqual(td.config.layer, { className: 'dense', config: { units: 2 } });
});

test('a factory makes the core layer once: apply builds it, and frees it; nothing piles up', () => {
  // A failed apply leaves the layer as it was, so the right input can follow.
  const lstm = L.lstm({ units: 3 });
  assert.throws(() => lstm.apply(aw.input({ shape: [4] })), /lstm.*expected input of shape \(None, steps, features\), got \(None, 4\)/);
  assert.deepEqual(lstm.apply(aw.input({ shape: [5, 2] })).shape, [null, 3]);
  // Layers handed to a sequential model or a wrapper are freed with it, so building many
  // models does not keep one core layer per factory call alive until garbage collection.
  const build = () => {
    const m = aw.sequential({ layers: [L.bidirectional({ layer: L.lstm({ units: 2 }), inputShape: [4, 3] }), L.dense({ units: 1 })] });
    m.dispose();
    const x = aw.input({ shape: [3] });
    aw.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(L.dense({ units: 2 }).apply(x)) }).dispose();
  };
  build();
  const before = aw.heapBytesInUse();
  for (let i = 0; i < 20; i++) build();
  assert.equal(aw.heapBytesInUse(), before);
  // A layer used in a sequential model may still be applied in a graph (a fresh core layer).
  const dense = L.dense({ units: 2, inputShape: [3] });
  aw.sequential({ layers: [dense] }).dispose();
  assert.deepEqual(dense.apply(aw.input({ shape: [3] })).shape, [null, 2]);
});
