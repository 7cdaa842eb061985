// Misuse of every entry point throws a real JS Error whose message names the entry or layer and
// the problem (expected vs actual), and the module keeps working afterwards: a model built
// before the errors predicts the same, and a new model still trains.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aw, assertError, assertRejects, randomTensor, sameBits, trainSmallModel } from './support.mjs';

const L = aw.layers;

const bystander = aw.sequential({ layers: [L.lstm({ units: 4, inputShape: [3, 2] }), L.dense({ units: 2 })], seed: 1 });
const probe = randomTensor([2, 3, 2], 1);
const expected = bystander.predict(probe);

function seqModel() {
  const m = aw.sequential({ layers: [L.dense({ units: 32, inputShape: [32], name: 'dense_1' }), L.dense({ units: 1 })] });
  return m;
}

const cases = [
  ['wrong input shape at predict', () => { const m = seqModel(); try { m.predict(randomTensor([2, 31])); } finally { m.dispose(); } },
    /predict: input 0 \(dense_1_input\) expected shape \(None, 32\), got \(2, 31\)/],
  // Bad options throw at the factory, where the mistake is made (as Keras' constructors do).
  ['unknown layer option', () => L.dense({ units: 2, unit: 3 }), /^dense: unknown option 'unit' \(known: /],
  ['missing required option', () => L.dense({}), /^dense: option 'units' is required$/],
  ['bad option value', () => L.dense({ units: -3 }), /^dense: option 'units' must be a positive integer, got -3$/],
  ['units 0', () => L.dense({ units: 0 }), /^dense: option 'units' must be a positive integer, got 0$/],
  ['unknown activation', () => L.dense({ units: 2, activation: 'swish2' }), /^dense: unknown activation 'swish2' \(expected one of /],
  ['bad attention score', () => L.attention({ units: 4, score: 'dot', name: 'att' }), /^att: option 'score' must be one of 'luong', 'bahdanau', got 'dot'$/],
  ['keyDim 0', () => L.multiHeadAttention({ numHeads: 2, keyDim: 0 }), /^multi_head_attention: option 'keyDim' must be a positive integer, got 0$/],
  ['unknown option of a nested layer', () => L.bidirectional({ layer: L.lstm({ units: 2 }), mergeMod: 'sum' }), /^bidirectional: unknown option 'mergeMod'/],
  ['conv1D kernelSize 0', () => L.conv1D({ filters: 2, kernelSize: 0 }), /^conv1d: option 'kernelSize' must be a positive integer \(or a list of one\), got \[0\]$/],
  ['conv1D unknown padding', () => L.conv1D({ filters: 2, kernelSize: 3, padding: 'full' }), /^conv1d: option 'padding' must be one of 'valid', 'same', 'causal', got 'full'$/],
  ['conv1D strides with dilation', () => L.conv1D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }), /^conv1d: strides > 1 are not supported together with dilationRate > 1, got strides 2 and dilationRate 2$/],
  ['maxPooling1D causal', () => L.maxPooling1D({ padding: 'causal' }), /^max_pooling1d: option 'padding' must be one of 'valid', 'same', got 'causal'$/],
  ['conv1D window longer than the input', () => L.conv1D({ filters: 2, kernelSize: 5, name: 'c' }).apply(aw.input({ shape: [4, 3] })), /^c: a window of 5 steps does not fit an input of 4 steps with padding 'valid'$/],
  ['layer options not an object', () => L.dense(5), /dense: options must be an object, got 5/],
  ['recurrent layer on a 2-D input', () => L.lstm({ units: 2, name: 'rnn' }).apply(aw.input({ shape: [4] })), /^rnn: expected input of shape \(None, steps, features\), got \(None, 4\)$/],
  ['merge of mismatched shapes', () => L.add({ name: 'sum' }).apply([aw.input({ shape: [3] }), aw.input({ shape: [4] })]), /^sum: expected inputs of one shape, got \(None, 3\) and \(None, 4\) \(input 1\)$/],
  ['dotAttention without a value input', () => L.dotAttention({ name: 'da' }).apply(aw.input({ shape: [3, 4] })), /^da: expected 2 or 3 inputs \[query, value, key\], got 1$/],
  ['multiHeadAttention without numHeads', () => L.multiHeadAttention({ keyDim: 2 }), /^multi_head_attention: option 'numHeads' is required$/],
  ['bidirectional over a dense', () => L.bidirectional({ layer: L.dense({ units: 2 }), name: 'bi' }).apply(aw.input({ shape: [3, 4] })), /^bi: option 'layer' must be an LSTM, GRU or SimpleRNN, got Dense$/],
  ['unknown padding for padSequences', () => aw.padSequences([[1]], { padding: 'x' }), /padSequences/, /'pre' or 'post'/],
  ['apply on a non-symbolic value', () => L.dense({ units: 2, name: 'd' }).apply(randomTensor([2, 2])), /d: apply\(\) takes the output of aw.input\(\)/],
  ['a layer applied twice', () => { const d = L.dense({ units: 2, name: 'twice' }); const x = aw.input({ shape: [2] }); d.apply(x); d.apply(x); }, /twice: this layer is already applied/],
  ['input without a shape', () => aw.input({}), /input: option 'shape' must be a non-empty array/],
  ['input with a bad dtype', () => aw.input({ shape: [2], dtype: 'float64' }), /input: option 'dtype'/, /float64/],
  ['input with an unknown option', () => aw.input({ shape: [2], batchSize: 3 }), /input: unknown option 'batchSize'/],
  ['model with an unknown option', () => aw.model({ inputs: aw.input({ shape: [2] }), outputs: aw.input({ shape: [2] }), input: 1 }), /model: unknown option 'input'/],
  ['model without outputs', () => aw.model({ inputs: aw.input({ shape: [2] }) }), /model: options 'inputs' and 'outputs' are required/],
  ['model whose outputs do not depend on the input', () => { const a = aw.input({ shape: [2] }); const b = aw.input({ shape: [2] }); aw.model({ inputs: a, outputs: L.dense({ units: 1 }).apply(b) }); }, /model: every input must be an input\(\) that the outputs depend on/],
  ['duplicate layer names', () => { const x = aw.input({ shape: [2] }); aw.model({ inputs: x, outputs: L.dense({ units: 1, name: 'same' }).apply(L.dense({ units: 2, name: 'same' }).apply(x)) }); }, /^model: the layer name 'same' is used twice/],
  ['sequential without inputShape', () => aw.sequential({ layers: [L.dense({ units: 2 })] }), /^sequential: the first layer needs an 'inputShape' option$/],
  ['sequential with a non-layer', () => aw.sequential({ layers: [{ units: 2 }] }), /sequential: layers\[0\] is not a layer from aw.layers/],
  ['sequential with no layers', () => aw.sequential({ layers: [] }), /sequential: option 'layers' must be a non-empty array/],
  ['compile with an unknown optimizer', () => { const m = seqModel(); try { m.compile({ optimizer: 'adamw', loss: 'mse' }); } finally { m.dispose(); } }, /^compile: unknown optimizer 'adamw' \(expected sgd, adam or rmsprop\)$/],
  ['compile with an unknown loss', () => { const m = seqModel(); try { m.compile({ optimizer: 'adam', loss: 'hinge2' }); } finally { m.dispose(); } }, /^compile: unknown loss 'hinge2' \(expected /],
  ['compile with a bad learning rate', () => { const m = seqModel(); try { m.compile({ optimizer: { type: 'sgd', learningRate: -1 }, loss: 'mse' }); } finally { m.dispose(); } }, /^sgd: option 'learningRate' must be between 0 and 1e\+06, got -1$/],
  ['evaluate before compile', () => { const m = seqModel(); try { m.evaluate(randomTensor([2, 32]), randomTensor([2, 1])); } finally { m.dispose(); } }, /^evaluate: the model must be compiled first/],
  ['trainOnBatch with a target of the wrong shape', () => { const m = seqModel(); try { m.compile({ optimizer: 'sgd', loss: 'mse' }); m.trainOnBatch(randomTensor([2, 32]), randomTensor([2, 3])); } finally { m.dispose(); } }, /^trainOnBatch: target 0 \(dense_2\) expected shape \(None, 1\), got \(2, 3\)$/],
  ['predict with a wrong rank', () => bystander.predict(randomTensor([2, 6])), /^predict: input 0 \(lstm_1_input\) expected shape \(None, 3, 2\), got \(2, 6\)$/],
  ['predict with a ragged nested array', () => bystander.predict([[[1, 2], [3, 4], [5, 6]], [[1, 2], [3]]]), /predict: x/, /ragged/],
  ['predict with a string', () => bystander.predict('data'), /predict: x: expected a Float32Array/],
  ['predict with batchSize 0', () => bystander.predict(probe, { batchSize: 0 }), /predict/, /batchSize/],
  ['getActivations without a name', () => bystander.getActivations(probe), /getActivations: the layer name must be a string/],
  ['getAttention on a model without attention', () => bystander.getAttention(probe), /getAttention: the model has no attention layer/],
  ['loadModel of garbage', () => aw.loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /^loadModel: not an attention-wasm model file \(missing 'ATWM' magic\)$/],
  ['loadModel of nothing', () => aw.loadModel(new Uint8Array(0)), /^loadModel: not an attention-wasm model file/],
  ['two targets for a one-output model', () => { const m = seqModel(); try { m.compile({ optimizer: 'sgd', loss: 'mse' }); m.trainOnBatch(randomTensor([2, 32]), [randomTensor([2, 1]), randomTensor([2, 1])]); } finally { m.dispose(); } },
    /^trainOnBatch: y: the model has 1 output, got a list of 2 tensors$/],
  ['weights in the wrong order', () => { const w = bystander.getWeights(); [w[0], w[1]] = [w[1], w[0]]; bystander.setWeights(w); },
    /^setWeights: weight 0 is named 'lstm_1\/recurrent_kernel', but weight 0 of the model is 'lstm_1\/kernel'/],
  ['tensor of the wrong size', () => aw.tensor(new Float32Array(3), [2, 2]), /tensor: shape \[2,2\] holds 4 values, got 3/],
];

for (const [name, fn, ...patterns] of cases) {
  test(`error: ${name}`, () => {
    assertError(fn, ...patterns);
    // The module is unharmed: the bystander model predicts bit for bit as before.
    assert.ok(sameBits(bystander.predict(probe).data, expected.data));
  });
}

test('after every error above, a new model still trains', async () => {
  const a = await trainSmallModel(3);
  const b = await trainSmallModel(3);
  assert.deepEqual(a, b);
});

test('errors thrown from deep inside the core during training leave the model usable', async () => {
  const m = aw.sequential({ layers: [L.embedding({ inputDim: 5, outputDim: 2, inputShape: [3] }), L.flatten(), L.dense({ units: 1 })], seed: 2 });
  try {
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const y = randomTensor([2, 1], 1);
    assertError(() => m.trainOnBatch({ data: Int32Array.of(1, 2, 3, 4, 5, 1), shape: [2, 3] }, y), /^embedding_1: expected integer ids in \[0, 5\), got 5 at flat index 4$/);
    assertError(() => m.trainOnBatch({ data: Int32Array.of(1, 2, 3, -1, 1, 1), shape: [2, 3] }, y), /^embedding_1: expected integer ids in \[0, 5\), got -1 at flat index 3$/);
    const { loss } = m.trainOnBatch({ data: Int32Array.of(1, 2, 3, 4, 1, 1), shape: [2, 3] }, y);
    assert.ok(Number.isFinite(loss));
    // The same inside fit, with the bad id in the last batch: fit rejects, the model trains on.
    const ids = Int32Array.from({ length: 30 }, (_, i) => 1 + (i % 4));
    ids[28] = 7;
    await assertRejects(() => m.fit({ data: ids, shape: [10, 3] }, randomTensor([10, 1], 2), { batchSize: 2, shuffle: false, epochs: 2 }), /^embedding_1: expected integer ids in \[0, 5\), got 7 at flat index 4$/);
    ids[28] = 2;
    const h = await m.fit({ data: ids, shape: [10, 3] }, randomTensor([10, 1], 2), { batchSize: 2, epochs: 2 });
    assert.equal(h.history.loss.length, 2);
  } finally {
    m.dispose();
  }
});

test('embedding weights option is refused with a pointer to setWeights', () => {
  assertError(() => L.embedding({ inputDim: 3, outputDim: 2, weights: [[1, 2], [3, 4], [5, 6]] }),
    /^embedding: option 'weights' is not supported; load the matrix with setWeights after building the model$/);
});
