// Writes tests/golden/<case>.json: reference outputs of TF.js layers (pure-JS cpu backend) for
// fixed inputs and weights, which tests/layers/test_tfjs_parity.cpp compares our layers against.
// Weights and inputs come from a seeded formula below, so the files can be regenerated exactly:
//   npm run goldens
// Each file: { case, source, layer: our layer spec {className, config}, input: {shape, data},
//   mask?: {shape, data}, weights: [{name, shape, data}] in Keras order, outputs: [{shape, data}] }.
// Only TF.js computes the expected outputs here; nothing is ever copied back from our code.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

await tf.setBackend('cpu');
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'golden');
mkdirSync(outDir, { recursive: true });

// A linear congruential generator mapped to [-scale, scale], rounded to float32 so that TF.js
// and the C++ side start from bit-identical numbers.
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
function values(count, seed, scale) {
  const next = seeded(seed);
  return Array.from({ length: count }, () => Math.fround((next() * 2 - 1) * scale));
}
const numel = (shape) => shape.reduce((a, b) => a * b, 1);
// 9 significant digits round-trip float32 exactly.
const compact = (data) => Array.from(data, (v) => Number(v.toPrecision(9)));
const tensorJson = (t) => ({ shape: t.shape, data: compact(t.dataSync()) });

// TF.js scopes weight names with a per-process counter ("gru_GRU2/kernel"); dropping it gives
// Keras' names ("gru/kernel") and keeps the files stable when cases are added.
const kerasName = (name) => name.replace(/_[A-Z][A-Za-z]*\d+(?=\/)/g, '');

function tailMask(batch, steps, padded) {
  const data = [];
  for (let b = 0; b < batch; ++b) for (let t = 0; t < steps; ++t) data.push(t < steps - padded[b] ? 1 : 0);
  return tf.tensor2d(data, [batch, steps]);
}

// Builds `layer` on `input`, gives every weight seeded values (in getWeights() order, which is
// Keras order), runs it, and writes the golden.
function layerCase(name, { layer, spec, input, mask = null, source }) {
  layer.apply(input);  // builds
  const weights = layer.getWeights().map((w, k) => tf.tensor(values(numel(w.shape), 1000 + 17 * k, 0.5), w.shape));
  layer.setWeights(weights);
  let outputs = layer.apply(input, mask ? { mask } : {});
  if (!Array.isArray(outputs)) outputs = [outputs];
  write(name, {
    source: source ?? `TF.js ${tf.version.tfjs}, ${tf.getBackend()} backend, ${layer.getClassName()} layer`,
    layer: spec,
    input,
    mask,
    weights: layer.weights.map((w, k) => ({
      name: kerasName(w.name),
      shape: weights[k].shape,
      data: compact(weights[k].dataSync()),
    })),
    outputs,
  });
}

function write(name, { source, layer, input, mask, weights, outputs }) {
  const golden = { case: name, source, layer, input: tensorJson(input) };
  if (mask) golden.mask = tensorJson(mask);
  golden.weights = weights;
  golden.outputs = outputs.map(tensorJson);
  const text = JSON.stringify(golden);
  writeFileSync(join(outDir, `${name}.json`), text + '\n');
  console.log(`${name}.json: ${text.length} bytes`);
}

const B = 2, T = 4, D = 3, U = 3;
const sequence = (seed = 7, steps = T, features = D) =>
  tf.tensor3d(values(B * steps * features, seed, 1.0), [B, steps, features]);
const gates = { activation: 'tanh', recurrentActivation: 'sigmoid' };  // TF.js defaults to hardSigmoid

layerCase('dense', {
  layer: tf.layers.dense({ units: 4, activation: 'tanh' }),
  spec: { className: 'Dense', config: { units: 4, activation: 'tanh' } },
  input: sequence(3),
});

{
  const ids = tf.tensor2d([1, 0, 6, 3, 2, 5, 5, 4], [2, 4]);
  layerCase('embedding', {
    layer: tf.layers.embedding({ inputDim: 7, outputDim: 3 }),
    spec: { className: 'Embedding', config: { inputDim: 7, outputDim: 3 } },
    input: ids,
  });
}

const lstmCases = {
  lstm_last: {},
  lstm_sequences: { returnSequences: true },
  lstm_backwards: { returnSequences: true, goBackwards: true },
  lstm_state: { returnState: true },
};
for (const [name, options] of Object.entries(lstmCases))
  layerCase(name, {
    layer: tf.layers.lstm({ units: U, ...gates, ...options }),
    spec: { className: 'LSTM', config: { units: U, ...options } },
    input: sequence(),
  });

// Masks: the tail of row 1 is padding. Masked steps carry the state and repeat the output.
layerCase('lstm_masked_sequences', {
  layer: tf.layers.lstm({ units: U, ...gates, returnSequences: true }),
  spec: { className: 'LSTM', config: { units: U, returnSequences: true } },
  input: sequence(11, 5),
  mask: tailMask(B, 5, [0, 2]),
});
layerCase('lstm_masked_backwards', {
  layer: tf.layers.lstm({ units: U, ...gates, goBackwards: true, returnState: true }),
  spec: { className: 'LSTM', config: { units: U, goBackwards: true, returnState: true } },
  input: sequence(13, 5),
  mask: tailMask(B, 5, [1, 3]),
});

// TF.js' default gate activation, the hard sigmoid.
layerCase('lstm_hard_sigmoid', {
  layer: tf.layers.lstm({ units: U, returnSequences: true }),
  spec: { className: 'LSTM', config: { units: U, returnSequences: true, recurrentActivation: 'hardSigmoid' } },
  input: sequence(37),
});
layerCase('gru_hard_sigmoid', {
  layer: tf.layers.gru({ units: U }),
  spec: { className: 'GRU', config: { units: U, resetAfter: false, recurrentActivation: 'hardSigmoid' } },
  input: sequence(41),
});

layerCase('gru_reset_before', {
  layer: tf.layers.gru({ units: U, ...gates, returnSequences: true }),
  spec: { className: 'GRU', config: { units: U, resetAfter: false, returnSequences: true } },
  input: sequence(17),
});

// TF.js' GRU has no reset_after (it throws), so the Keras default is computed here from TF.js
// ops, straight from Keras' GRUCell with reset_after=True:
//   x_[zrh] = x W + b_in;  i_[zrh] = h U + b_rec;  z = sigma(x_z + i_z);  r = sigma(x_r + i_r)
//   h~ = tanh(x_h + r * i_h);  h = z * h_prev + (1 - z) * h~
{
  const input = sequence(19);
  const kernel = tf.tensor(values(D * 3 * U, 2000, 0.5), [D, 3 * U]);
  const recurrent = tf.tensor(values(U * 3 * U, 2017, 0.5), [U, 3 * U]);
  const bias = tf.tensor(values(2 * 3 * U, 2034, 0.5), [2, 3 * U]);
  const [biasIn, biasRec] = tf.split(bias, 2, 0).map((b) => b.reshape([3 * U]));
  let h = tf.zeros([B, U]);
  const steps = [];
  for (let t = 0; t < T; ++t) {
    const x = input.slice([0, t, 0], [B, 1, D]).reshape([B, D]);
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(x, kernel), biasIn), 3, 1);
    const [iz, ir, ih] = tf.split(tf.add(tf.matMul(h, recurrent), biasRec), 3, 1);
    const z = tf.sigmoid(tf.add(xz, iz));
    const r = tf.sigmoid(tf.add(xr, ir));
    const candidate = tf.tanh(tf.add(xh, tf.mul(r, ih)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
    steps.push(h);
  }
  write('gru_reset_after', {
    source: `TF.js ${tf.version.tfjs} ops (${tf.getBackend()} backend): Keras GRUCell reset_after=True`,
    layer: { className: 'GRU', config: { units: U, resetAfter: true, returnSequences: true } },
    input,
    weights: [
      { name: 'gru/kernel', shape: kernel.shape, data: compact(kernel.dataSync()) },
      { name: 'gru/recurrent_kernel', shape: recurrent.shape, data: compact(recurrent.dataSync()) },
      { name: 'gru/bias', shape: bias.shape, data: compact(bias.dataSync()) },
    ],
    outputs: [tf.stack(steps, 1)],
  });
}

layerCase('simple_rnn', {
  layer: tf.layers.simpleRNN({ units: U, returnSequences: true }),
  spec: { className: 'SimpleRNN', config: { units: U, returnSequences: true } },
  input: sequence(23),
});

layerCase('gru_masked', {
  layer: tf.layers.gru({ units: U, ...gates, returnSequences: true, returnState: true }),
  spec: { className: 'GRU', config: { units: U, resetAfter: false, returnSequences: true, returnState: true } },
  input: sequence(43, 5),
  mask: tailMask(B, 5, [2, 0]),
});
layerCase('simple_rnn_masked_backwards', {
  layer: tf.layers.simpleRNN({ units: U, goBackwards: true, returnSequences: true }),
  spec: { className: 'SimpleRNN', config: { units: U, goBackwards: true, returnSequences: true } },
  input: sequence(47, 5),
  mask: tailMask(B, 5, [1, 3]),
});

layerCase('bidirectional_concat', {
  layer: tf.layers.bidirectional({
    layer: tf.layers.lstm({ units: U, ...gates, returnSequences: true }),
    mergeMode: 'concat',
  }),
  spec: {
    className: 'Bidirectional',
    config: { layer: { className: 'LSTM', config: { units: U, returnSequences: true } }, mergeMode: 'concat' },
  },
  input: sequence(29),
});
layerCase('bidirectional_ave', {
  layer: tf.layers.bidirectional({ layer: tf.layers.lstm({ units: U, ...gates }), mergeMode: 'ave' }),
  spec: {
    className: 'Bidirectional',
    config: { layer: { className: 'LSTM', config: { units: U } }, mergeMode: 'ave' },
  },
  input: sequence(31),
});
