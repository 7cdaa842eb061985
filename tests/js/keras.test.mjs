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
