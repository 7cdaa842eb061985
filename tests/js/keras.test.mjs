// loadKerasModel on TF.js Layers models (tests/fixtures/keras, written by
// scripts/make-keras-fixtures.mjs with TF.js): the same predictions as TF.js within 1e-4, the
// Keras layer names, the training config, a save round trip; and refusals that name every culprit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { aw } from './support.mjs';

const dir = new URL('../fixtures/keras/', import.meta.url);
function fixture(name) {
  const read = (file) => readFileSync(new URL(`${name}/${file}`, dir));
  return { modelJson: JSON.parse(read('model.json')), weights: [new Uint8Array(read('weights.bin'))],
           expected: JSON.parse(read('expected.json')) };
}
const asTensor = (t) => ({ data: Float32Array.from(t.data), shape: t.shape });

function assertClose(got, want, what) {
  assert.deepEqual(got.shape, want.shape, what);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]));
  assert.ok(worst < 1e-4, `${what}: max |ours - TF.js| = ${worst}`);
}

for (const name of ['cnn_lstm', 'two_inputs', 'many_layers']) {
  test(`TF.js Layers model '${name}': TF.js' predictions, Keras' layer names, saves as .atwm`, async () => {
    const { modelJson, weights, expected } = fixture(name);
    const model = await aw.loadKerasModel({ modelJson, weights });
    try {
      const inputs = expected.inputs.map(asTensor);
      const x = inputs.length === 1 ? inputs[0] : inputs;
      assertClose(model.predict(x), expected.prediction, name);
      const ours = model.layers.map((l) => l.name);
      for (const layer of expected.layers) assert.ok(ours.includes(layer), `layer '${layer}' kept: ${ours}`);
      const again = aw.loadModel(model.save());
      assertClose(again.predict(x), expected.prediction, `${name} after save/load`);
      again.dispose();
    } finally {
      model.dispose();
    }
  });
}

test('the training config compiles the model: fit goes on where it stopped', async () => {
  const { modelJson, weights, expected } = fixture('cnn_lstm');
  const model = await aw.loadKerasModel({ modelJson, weights });
  try {
    const x = asTensor(expected.inputs[0]);
    const y = { data: Float32Array.of(1, 0, 1), shape: [3, 1] };
    const logs = model.evaluate(x, y);
    assert.ok(Number.isFinite(logs.loss) && 'accuracy' in logs, JSON.stringify(logs));
    const history = await model.fit(x, y, { epochs: 20, batchSize: 3 });
    assert.ok(history.history.loss.at(-1) < history.history.loss[0], JSON.stringify(history.history.loss));
    assert.deepEqual(model.importWarnings, []);
  } finally {
    model.dispose();
  }
});

test('what cannot be imported is refused at once, every culprit named with its class', async () => {
  const { modelJson, weights } = fixture('cnn_lstm');
  const layers = modelJson.modelTopology.config.layers;
  const broken = structuredClone(modelJson);
  const list = broken.modelTopology.config.layers;
  list.splice(2, 0, { class_name: 'Lambda', config: { name: 'py', function: 'lambda x: x' } },
    { class_name: 'MyAttention', config: { name: 'mine', units: 3 } });
  list[4].config.stateful = true;  // the LSTM
  await assert.rejects(aw.loadKerasModel({ modelJson: broken, weights }), (error) => {
    assert.match(error.message, /^loadKerasModel: 3 layer\(s\) cannot be imported:/);
    assert.match(error.message, /\n {2}py \(Lambda\): holds Python code/);
    assert.match(error.message, /\n {2}mine \(MyAttention\): no such layer in the library; map it onto one with options\.customLayers/);
    assert.match(error.message, /\n {2}lstm \(LSTM\): option 'stateful' = true is not supported/);
    return true;
  });
  assert.equal(layers.length, 5);  // the fixture itself is untouched
  // customLayers maps the custom class; the Lambda is still refused.
  await assert.rejects(aw.loadKerasModel({ modelJson: broken, weights }, { customLayers: { MyAttention: { className: 'dense', config: { units: 3 } } } }),
    (error) => !/mine/.test(error.message) && /2 layer\(s\)/.test(error.message));
});

test('weights that do not fit, truncated shards and other files give clear errors', async () => {
  const { modelJson, weights } = fixture('cnn_lstm');
  await assert.rejects(aw.loadKerasModel({ modelJson, weights: [weights[0].slice(0, 100)] }),
    /loadKerasModel: the weights files end before weightsManifest\[0\] '.*' \(100 bytes, \d+ needed\)/);
  const extra = structuredClone(modelJson);
  extra.weightsManifest[0].weights.pop();
  await assert.rejects(aw.loadKerasModel({ modelJson: extra, weights }), /weightsManifest\[0\] describes 932 bytes, its files hold 936/);
  const mismatch = structuredClone(modelJson);
  mismatch.modelTopology.config.layers[2].config.units = 6;  // LSTM(6) with LSTM(5)'s weights
  await assert.rejects(aw.loadKerasModel({ modelJson: mismatch, weights }),
    /loadKerasModel: the weights do not fit the model:\n {2}lstm: weight lstm\/kernel has shape \(4, 20\), the layer's lstm\/kernel needs \(4, 24\)/);
  await assert.rejects(aw.loadKerasModel(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0])), /loadKerasModel: not a readable HDF5 file/);
  await assert.rejects(aw.loadKerasModel(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0])), /loadKerasModel: not a readable \.keras zip/);
  await assert.rejects(aw.loadKerasModel(new Uint8Array([1, 2, 3])), /not a Keras model file/);
  await assert.rejects(aw.loadKerasModel({ modelJson, weights }, { custom: {} }), /unknown option 'custom'/);
  // The module keeps working.
  const model = await aw.loadKerasModel({ modelJson, weights });
  model.dispose();
});

test('a legacy Keras .h5 file of every other layer (normalizations, pooling, merges, reshapes) predicts as TF.js', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('many_layers.h5', dir)));
  const { expected } = fixture('many_layers');
  const model = await aw.loadKerasModel(bytes);
  try {
    // BatchNormalization's moving statistics come after its gamma and beta in the file.
    assertClose(model.predict(asTensor(expected.inputs[0])), expected.prediction, 'many_layers.h5');
    assert.equal(model.layers.find((l) => l.name === 'peak').type, 'Maximum');
  } finally {
    model.dispose();
  }
});

test('a legacy Keras .h5 file: the same model, predictions, names and training config', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('cnn_lstm.h5', dir)));
  const { expected } = fixture('cnn_lstm');
  const model = await aw.loadKerasModel(bytes);
  try {
    const x = asTensor(expected.inputs[0]);
    assertClose(model.predict(x), expected.prediction, 'cnn_lstm.h5');
    const names = model.layers.map((l) => l.name);
    assert.deepEqual(names.filter((n) => expected.layers.includes(n)), expected.layers, String(names));
    // Keras 2's training config: Adam(lr=0.002), binary_crossentropy, metrics ['acc'].
    const logs = model.evaluate(x, { data: Float32Array.of(1, 0, 1), shape: [3, 1] });
    assert.ok(Number.isFinite(logs.loss) && 'accuracy' in logs, JSON.stringify(logs));
  } finally {
    model.dispose();
  }
  // A truncated file is refused; the module keeps working.
  await assert.rejects(aw.loadKerasModel(bytes.slice(0, 2000)), /loadKerasModel: /);
  const again = await aw.loadKerasModel(bytes);
  again.dispose();
});

test('a Keras 3 .keras file: weights found by class-numbered paths, sub-layers in the layer\'s order', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('two_inputs.keras', dir)));
  const { expected } = fixture('two_inputs');
  const model = await aw.loadKerasModel(bytes);
  try {
    // backward_layer sorts before forward_layer in the file: a position-only reading swaps them.
    assertClose(model.predict(expected.inputs.map(asTensor)), expected.prediction, 'two_inputs.keras');
    const names = model.layers.map((l) => l.name);
    for (const layer of expected.layers) assert.ok(names.includes(layer), `layer '${layer}' kept: ${names}`);
  } finally {
    model.dispose();
  }
  await assert.rejects(aw.loadKerasModel(bytes.slice(0, 200)), /loadKerasModel: /);
});

// Keras 3 .keras files of attention models, written by scripts/make-keras-fixtures.mjs in Keras'
// layout; the reference (<name>.expected.json) is TF.js' LSTM and each attention layer's definition
// in TF.js ops, from the same weights.
function keras3Fixture(name) {
  return { bytes: new Uint8Array(readFileSync(new URL(`${name}.keras`, dir))),
           expected: JSON.parse(readFileSync(new URL(`${name}.expected.json`, dir))) };
}
// Attention rows of real (unmasked) queries only: Keras spreads a padded query's row evenly over
// every key, we give it zeros; both are ignored downstream.
function assertAttentionClose(got, want, queryMask, what) {
  assert.deepEqual(got.shape, want.shape, what);
  const [B, T] = queryMask.shape;
  const perQuery = want.data.length / (B * T) / (want.shape.length === 4 ? want.shape[1] : 1);
  let worst = 0;
  want.data.forEach((w, i) => {
    const rowIndex = Math.floor(i / perQuery);  // (b, [h,] i) flattened
    const b = Math.floor(i / (want.data.length / B)), q = rowIndex % T;
    if (queryMask.data[b * T + q]) worst = Math.max(worst, Math.abs(got.data[i] - w));
  });
  assert.ok(worst < 1e-4, `${what}: max |ours - reference| = ${worst}`);
}

test('Keras 3 .keras: the attention package v5 in both score modes, weights found by sub-layer name', async () => {
  const { bytes, expected } = keras3Fixture('attention_package');
  const model = await aw.loadKerasModel(bytes);
  try {
    const x = asTensor(expected.inputs[0]);
    assertClose(model.predict(x), expected.prediction, 'attention_package.keras');
    // The file alone in a file list (<input type=file multiple>) reads the same.
    const listed = await aw.loadKerasModel([new Blob([bytes])]);
    assertClose(listed.predict(x), expected.prediction, 'attention_package.keras in a list');
    listed.dispose();
    for (const layer of ['luong', 'bahdanau']) {
      assert.equal(model.layers.find((l) => l.name === layer).type, 'Attention');
      assertClose(model.getAttention(x, { layer }), expected.attention[layer], `${layer} attention`);
    }
    // compile_config: Adam, binary_crossentropy, accuracy; training goes on.
    const { history } = await model.fit(x, { data: Float32Array.of(1, 0, 1), shape: [3, 1] }, { epochs: 1, batchSize: 3 });
    assert.ok(Number.isFinite(history.loss[0]) && 'accuracy' in history, JSON.stringify(history));
  } finally {
    model.dispose();
  }
});

test('Keras 3 .keras: Attention, AdditiveAttention and MultiHeadAttention on masked text', async () => {
  const { bytes, expected } = keras3Fixture('keras_attention');
  const model = await aw.loadKerasModel(bytes);
  try {
    const ids = asTensor(expected.inputs[0]);
    assertClose(model.predict(ids), expected.prediction, 'keras_attention.keras');
    const mask = expected.attention.mask;
    for (const [layer, type] of [['dot', 'DotAttention'], ['additive', 'AdditiveAttention'], ['mha', 'MultiHeadAttention']]) {
      assert.equal(model.layers.find((l) => l.name === layer).type, type);
      const got = model.getAttention(ids, { layer });
      assertAttentionClose(got, expected.attention[layer], mask, `${layer} attention`);
      // Padded keys get no weight.
      const keys = mask.shape[1];
      got.data.forEach((w, i) => {
        const b = Math.floor(i / (got.data.length / mask.shape[0]));
        if (!mask.data[b * keys + (i % keys)]) assert.equal(w, 0, `${layer}: padded key ${i % keys} of row ${b}`);
      });
    }
  } finally {
    model.dispose();
  }
});

// tensorflowjs_converter's --quantize_uint8 / --quantize_uint16 / --quantize_float16 store each
// weight as {dtype, scale, min} (affine: value = q * scale + min) or as IEEE halves. The same
// model with float32 weights holding exactly the dequantized values is the reference.
test('quantized TF.js weights (uint8, uint16, float16) are read as their dequantized values', async () => {
  const { modelJson, weights, expected } = fixture('cnn_lstm');
  const all = new Float32Array(weights[0].buffer.slice(weights[0].byteOffset, weights[0].byteOffset + weights[0].byteLength));
  const toHalf = (v) => {  // -> [bits, the value those bits hold]
    const sign = v < 0 ? 1 : 0, a = Math.abs(v);
    if (a < 2 ** -14) return [sign << 15, 0];
    let e = Math.floor(Math.log2(a)), m = Math.round((a / 2 ** e - 1) * 1024);
    if (m === 1024) { e += 1; m = 0; }
    return [(sign << 15) | ((e + 15) << 10) | m, (sign ? -1 : 1) * 2 ** e * (1 + m / 1024)];
  };
  const quantizedSpecs = [], quantizedParts = [], referenceParts = [];
  let offset = 0;
  modelJson.weightsManifest[0].weights.forEach((spec, k) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = all.slice(offset, offset + n);
    offset += n;
    const dtype = ['uint8', 'uint16', 'float16'][k % 3];
    let stored, exact;
    if (dtype === 'float16') {
      const halves = Array.from(values, toHalf);
      stored = Uint16Array.from(halves, (h) => h[0]);
      exact = Float32Array.from(halves, (h) => h[1]);
      quantizedSpecs.push({ ...spec, quantization: { dtype } });
    } else {
      const levels = dtype === 'uint8' ? 255 : 65535;
      const min = Math.min(...values), scale = (Math.max(...values) - min) / levels || 1;
      const q = Array.from(values, (v) => Math.round((v - min) / scale));
      stored = dtype === 'uint8' ? Uint8Array.from(q) : Uint16Array.from(q);
      exact = Float32Array.from(q, (v) => v * scale + min);
      quantizedSpecs.push({ ...spec, quantization: { dtype, scale, min } });
    }
    quantizedParts.push(new Uint8Array(stored.buffer));
    referenceParts.push(new Uint8Array(exact.buffer));
  });
  const join = (parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const quantizedJson = structuredClone(modelJson);
  quantizedJson.weightsManifest[0].weights = quantizedSpecs;
  const quantized = await aw.loadKerasModel({ modelJson: quantizedJson, weights: [join(quantizedParts)] });
  const reference = await aw.loadKerasModel({ modelJson, weights: [join(referenceParts)] });
  try {
    const x = asTensor(expected.inputs[0]);
    const want = reference.predict(x);
    assertClose(quantized.predict(x), { shape: want.shape, data: Array.from(want.data) }, 'quantized weights');
    // and close to the float32 model: quantization only rounds the weights.
    const drift = Math.max(...Array.from(want.data, (v, i) => Math.abs(v - expected.prediction.data[i])));
    assert.ok(drift > 0 && drift < 0.02, `dequantized model drifts ${drift} from the float32 one`);
  } finally {
    quantized.dispose();
    reference.dispose();
  }
  const broken = structuredClone(quantizedJson);
  broken.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' };
  await assert.rejects(aw.loadKerasModel({ modelJson: broken, weights: [join(quantizedParts)] }),
    /'conv\/kernel' is quantized to uint8 without a finite scale and min/);
});
