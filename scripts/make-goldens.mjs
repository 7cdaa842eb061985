// Writes tests/golden/<case>.json: reference outputs of TF.js layers (pure-JS cpu backend) for
// fixed inputs and weights, which tests/layers/test_tfjs_parity.cpp compares our layers against.
// Weights and inputs come from a seeded formula below, so the files can be regenerated exactly:
//   npm run goldens
// Each file: { case, source, layer: our layer spec {className, config}, inputs: [{shape, data}],
//   masks: [{shape, data} | null] (one per input), weights: [{name, shape, data}] in Keras order,
//   outputs: [{shape, data}], attention?: {shape, data} (attention layers: the expected weights),
//   outputMask?: {shape, data} (layers that make a mask from their data: Masking) }.
// Only TF.js computes the expected outputs here; nothing is ever copied back from our code.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
// The k-th weight of a layer (Keras order), seeded by its position.
const weightTensor = (shape, k) => tf.tensor(values(numel(shape), 1000 + 17 * k, 0.5), shape);
// 9 significant digits round-trip float32 exactly.
const compact = (data) => Array.from(data, (v) => Number(v.toPrecision(9)));
const tensorJson = (t) => ({ shape: t.shape, data: compact(t.dataSync()) });

// TF.js scopes weight names with a per-process counter ("gru_GRU2/kernel"); dropping it gives
// Keras' names ("gru/kernel") and keeps the files stable when cases are added.
const kerasName = (name) => name.replace(/_[A-Z][A-Za-z0-9]*?\d+(?=\/)/g, '');

function tailMask(batch, steps, padded) {
  const data = [];
  for (let b = 0; b < batch; ++b) for (let t = 0; t < steps; ++t) data.push(t < steps - padded[b] ? 1 : 0);
  return tf.tensor2d(data, [batch, steps]);
}

// Builds `layer` on `input`, gives every weight seeded values (in getWeights() order, which is
// Keras order), runs it, and writes the golden.
// `leftPad`: steps of zeros put before the input TF.js sees (the golden keeps the input as is).
function layerCase(name, { layer, spec, input, mask = null, source, leftPad = 0 }) {
  const seen = leftPad ? tf.pad(input, [[0, 0], [leftPad, 0], [0, 0]]) : input;
  layer.apply(seen);  // builds
  const weights = layer.getWeights().map((w, k) => weightTensor(w.shape, k));
  layer.setWeights(weights);
  let outputs = layer.apply(seen, mask ? { mask } : {});
  if (!Array.isArray(outputs)) outputs = [outputs];
  // A layer that makes a mask from its data (Masking): the mask it gives the next layer.
  const outputMask = layer.getClassName() === 'Masking' ? layer.computeMask(input, mask) : null;
  write(name, {
    outputMask,
    source: source ?? `TF.js ${tf.version.tfjs}, ${tf.getBackend()} backend, ${layer.getClassName()} layer`,
    spec,
    inputs: [input],
    masks: [mask],
    weights: layer.weights.map((w, k) => ({ name: kerasName(w.name), tensor: weights[k] })),
    outputs,
  });
}

// weights: [{name, tensor}] in Keras order; masks: one per input (null or absent: no mask).
function write(name, { source, spec, inputs, masks = [], weights, outputs, attention = null, outputMask = null }) {
  const golden = { case: name, source, layer: spec };
  golden.inputs = inputs.map(tensorJson);
  golden.masks = inputs.map((_, i) => (masks[i] ? tensorJson(masks[i]) : null));
  golden.weights = weights.map((w) => ({ name: w.name, shape: w.tensor.shape, data: compact(w.tensor.dataSync()) }));
  golden.outputs = outputs.map(tensorJson);
  if (attention) golden.attention = tensorJson(attention);
  if (outputMask) golden.outputMask = tensorJson(tf.cast(outputMask, 'float32'));
  const text = JSON.stringify(golden);
  writeFileSync(join(outDir, `${name}.json`), text + '\n');
  console.log(`${name}.json: ${text.length} bytes`);
}

const B = 2, T = 4, D = 3, U = 3;
const sequence = (seed = 7, steps = T, features = D) =>
  tf.tensor3d(values(B * steps * features, seed, 1.0), [B, steps, features]);
const gates = { activation: 'tanh', recurrentActivation: 'sigmoid' };  // TF.js defaults to hardSigmoid

// ---- the layer-case table's TF.js cases -----------------------------------------------------
// Every row of tests/layer_cases.json with a `golden` entry: TF.js' own layer, built from the
// row's `golden.tfjs` (a nested {layer, options} is a nested TF.js layer), on batch B of the row's
// per-sample shapes.
const table = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'layer_cases.json'), 'utf8'));
function tfjsLayer({ layer, options }) {
  const built = {};
  for (const [key, value] of Object.entries(options)) {
    built[key] = value && typeof value === 'object' && 'layer' in value && 'options' in value ? tfjsLayer(value) : value;
  }
  return tf.layers[layer](built);
}
for (const row of table.cases.filter((r) => r.golden)) {
  const { golden } = row;
  const [steps, features] = row.shapes[0];
  let input = golden.ids ? tf.tensor2d(golden.ids.flat(), [B, steps]) : sequence(golden.seed, steps, features);
  if (golden.maskedSteps) {
    const data = input.arraySync();
    for (const [b, t] of golden.maskedSteps) data[b][t] = data[b][t].map(() => row.options.maskValue ?? 0);
    input = tf.tensor3d(data);
  }
  // TF.js' Conv1D has no 'causal' padding (NotImplementedError): Keras defines it as
  // dilation (kernelSize - 1) steps of zeros on the left, then a 'valid' convolution, so that is
  // what TF.js' layer is given.
  const tfjs = structuredClone(golden.tfjs);
  let leftPad = 0, source;
  if (tfjs.layer === 'conv1d' && tfjs.options.padding === 'causal') {
    leftPad = (tfjs.options.dilationRate ?? 1) * (tfjs.options.kernelSize - 1);
    tfjs.options.padding = 'valid';
    source = `TF.js ${tf.version.tfjs}, ${tf.getBackend()} backend, Conv1D layer with padding 'valid' after ${leftPad} steps of zeros on the left (Keras' definition of 'causal')`;
  }
  layerCase(golden.name ?? row.name ?? row.type, {
    layer: tfjsLayer(tfjs),
    spec: { className: row.type, config: row.options },
    input,
    mask: golden.padding ? tailMask(B, steps, golden.padding) : null,
    leftPad,
    source,
  });
}

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
    spec: { className: 'GRU', config: { units: U, resetAfter: true, returnSequences: true } },
    inputs: [input],
    weights: [
      { name: 'gru/kernel', tensor: kernel },
      { name: 'gru/recurrent_kernel', tensor: recurrent },
      { name: 'gru/bias', tensor: bias },
    ],
    outputs: [tf.stack(steps, 1)],
  });
}

// ---- attention layers ------------------------------------------------------------------------
// TF.js has no attention layer, so each reference below is the layer's original definition written
// out in TF.js ops: nothing here calls or mirrors our code. Every case has masked inputs; each file
// also carries the expected attention weights ({shape, data}, as getAttention returns them).
//   the `attention` package v5 (philipperemy/keras-attention, attention/attention.py): Attention
//   the seeds' code (seed 003's Attention(return_sequences), seeds 001/004's attention_3d_block,
//     seeds 000/001's Dense(softmax) attention_probs): additiveSelfAttention, timeAttention,
//     featureAttention
//   Keras 3 (keras/src/layers/attention/{attention,additive_attention,multi_head_attention}.py):
//     dotAttention, additiveAttention, multiHeadAttention
// Where our masking is a documented choice rather than the original's (the original layers of the
// `attention` package and the seeds ignore masks), the reference states that choice as a
// definition on the unpadded data, independent of how we compute it; see README "Where the
// package differs from Keras / TF.js".

// weights: [{name, shape}] in Keras order -> [{name, tensor}] with seeded values.
const seededWeights = (list) => list.map(({ name, shape }, k) => ({ name, tensor: weightTensor(shape, k) }));
const maskFrom = (rows) => tf.tensor2d(rows.flat(), [rows.length, rows[0].length]);
const keptSteps = (maskRow) => maskRow.flatMap((m, t) => (m ? [t] : []));

// A (T) row holding `values` (one per kept step) at those steps and 0 at the padded ones.
function scatterSteps(values, steps, length) {
  const row = new Float32Array(length);
  steps.forEach((t, k) => { row[t] = values[k]; });
  return row;
}

// The `attention` package v5, Attention(units, score), per row:
//   h_t = h_s[-1];  luong: score = Dot(axes=[1, 2])([h_t, luong_w(h_s)])
//   bahdanau: score = bahdanau_v(tanh(bahdanau_w1(h_t) + bahdanau_w2(h_s)))
//   a = softmax(score);  c = Dot(axes=[1, 1])([h_s, a]);  out = attention_vector([c, h_t]) (tanh, no bias)
// Masked input: the row's padded steps are taken out first (so h_t is the last real step and a
// padded step has weight 0): the original run on the unpadded sequence.
{
  const Bt = 3, Tt = 6, Dt = 4, units = 3;
  const x = tf.tensor3d(values(Bt * Tt * Dt, 51, 1.0), [Bt, Tt, Dt]);
  const maskRows = [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];  // none, 'pre', 'post'
  for (const score of ['luong', 'bahdanau'])
    for (const masked of [false, true]) {
      // Keras' weight order: the sub-layers in the order build() assigns them as attributes.
      const weights = seededWeights(
        score === 'luong'
          ? [{ name: 'attention/luong_w/kernel', shape: [Dt, Dt] },
             { name: 'attention/attention_vector/kernel', shape: [2 * Dt, units] }]
          : [{ name: 'attention/bahdanau_v/kernel', shape: [Dt, 1] },
             { name: 'attention/bahdanau_w1/kernel', shape: [Dt, Dt] },
             { name: 'attention/bahdanau_w2/kernel', shape: [Dt, Dt] },
             { name: 'attention/attention_vector/kernel', shape: [2 * Dt, units] }]);
      const W = Object.fromEntries(weights.map((w) => [w.name.split('/')[1], w.tensor]));
      const outs = [], attns = [];
      for (let b = 0; b < Bt; ++b) {
        const steps = masked ? keptSteps(maskRows[b]) : [...Array(Tt).keys()];
        const hs = tf.gather(x.slice([b, 0, 0], [1, Tt, Dt]).reshape([Tt, Dt]), steps);  // (n, D)
        const ht = hs.slice([steps.length - 1, 0], [1, Dt]);                              // (1, D)
        const scoreRow = score === 'luong'
          ? tf.matMul(ht, tf.matMul(hs, W.luong_w), false, true)                          // (1, n)
          : tf.matMul(tf.tanh(tf.add(tf.matMul(ht, W.bahdanau_w1), tf.matMul(hs, W.bahdanau_w2))), W.bahdanau_v)
              .reshape([1, steps.length]);
        const a = tf.softmax(scoreRow);                                                   // (1, n)
        const c = tf.matMul(a, hs);                                                       // (1, D)
        outs.push(tf.tanh(tf.matMul(tf.concat([c, ht], 1), W.attention_vector)));
        attns.push(tf.tensor2d(scatterSteps(a.dataSync(), steps, Tt), [1, Tt]));
      }
      write(`attention_${score}${masked ? '_masked' : ''}`, {
        source: `TF.js ${tf.version.tfjs} ops: the attention package v5 Attention(units=${units}, score='${score}')` +
          (masked ? ', padded steps removed before the layer runs' : ''),
        spec: { className: 'Attention', config: { units, score } },
        inputs: [x],
        masks: masked ? [maskFrom(maskRows)] : [],
        weights,
        outputs: [tf.concat(outs, 0)],
        attention: tf.concat(attns, 0),
      });
    }
}

// Seed 003, Attention(return_sequences): e = tanh(K.dot(x, W) + b), W (D, 1), b (T, 1);
// a = softmax(e, axis=1); out = x * a, summed over time unless return_sequences.
// Masked input: the softmax runs over the real steps only (each keeps its own bias b_t).
{
  const Bt = 3, Tt = 5, Dt = 4;
  const x = tf.tensor3d(values(Bt * Tt * Dt, 53, 1.0), [Bt, Tt, Dt]);
  const maskRows = [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 1, 0, 0]];
  for (const returnSequences of [false, true])
    for (const masked of [false, true]) {
      const weights = seededWeights([
        { name: 'additive_self_attention/att_weight', shape: [Dt, 1] },
        { name: 'additive_self_attention/att_bias', shape: [Tt, 1] },
      ]);
      const [W, bias] = weights.map((w) => w.tensor);
      const e = tf.tanh(tf.add(tf.matMul(x.reshape([Bt * Tt, Dt]), W).reshape([Bt, Tt, 1]), bias));  // (B, T, 1)
      const rows = [];
      for (let b = 0; b < Bt; ++b) {
        const steps = masked ? keptSteps(maskRows[b]) : [...Array(Tt).keys()];
        const eRow = tf.gather(e.slice([b, 0, 0], [1, Tt, 1]).reshape([Tt]), steps);
        rows.push(tf.tensor2d(scatterSteps(tf.softmax(eRow).dataSync(), steps, Tt), [1, Tt]));
      }
      const a = tf.concat(rows, 0);                                // (B, T)
      const weighted = tf.mul(x, a.reshape([Bt, Tt, 1]));          // output = x * a
      write(`additive_self_attention${returnSequences ? '_sequences' : ''}${masked ? '_masked' : ''}`, {
        source: `TF.js ${tf.version.tfjs} ops: seed 003 Attention(return_sequences=${returnSequences ? 'True' : 'False'})` +
          (masked ? ', softmax over the unpadded steps' : ''),
        spec: { className: 'AdditiveSelfAttention', config: { returnSequences } },
        inputs: [x],
        masks: masked ? [maskFrom(maskRows)] : [],
        weights,
        outputs: [returnSequences ? weighted : tf.sum(weighted, 1)],
        attention: a,
      });
    }
}

// Seeds 001/004, attention_3d_block: a = Permute((2, 1))(x); a = Dense(T, softmax)(a);
// [single vector: a = Lambda(mean over features)(a); a = RepeatVector(D)(a)];
// a_probs = Permute((2, 1))(a); out = multiply([x, a_probs]).
// Masked input: a padded step is absent: its values enter the Dense as 0 and the softmax runs
// over the real steps only.
{
  const Bt = 3, Tt = 5, Dt = 3;
  const x = tf.tensor3d(values(Bt * Tt * Dt, 57, 1.0), [Bt, Tt, Dt]);
  const maskRows = [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0]];
  for (const singleVector of [false, true])
    for (const masked of [false, true]) {
      const weights = seededWeights([
        { name: 'time_attention/kernel', shape: [Tt, Tt] },
        { name: 'time_attention/bias', shape: [Tt] },
      ]);
      const [W, bias] = weights.map((w) => w.tensor);
      const mask = maskFrom(maskRows);
      const xIn = masked ? tf.mul(x, mask.reshape([Bt, Tt, 1])) : x;
      const permuted = tf.transpose(xIn, [0, 2, 1]);                                        // (B, D, T)
      const logits = tf.add(tf.matMul(permuted.reshape([Bt * Dt, Tt]), W), bias).reshape([Bt, Dt, Tt]);
      const probRows = [];
      for (let b = 0; b < Bt; ++b) {
        const steps = masked ? keptSteps(maskRows[b]) : [...Array(Tt).keys()];
        const kept = tf.gather(logits.slice([b, 0, 0], [1, Dt, Tt]).reshape([Dt, Tt]), steps, 1);  // (D, n)
        const sm = tf.softmax(kept).arraySync();
        const full = sm.map((row) => Array.from(scatterSteps(row, steps, Tt)));
        probRows.push(tf.tensor3d([full], [1, Dt, Tt]));
      }
      let a = tf.concat(probRows, 0);                                                       // (B, D, T)
      if (singleVector) a = tf.tile(tf.mean(a, 1, true), [1, Dt, 1]);
      const aProbs = tf.transpose(a, [0, 2, 1]);                                            // (B, T, D)
      write(`time_attention${singleVector ? '_single_vector' : ''}${masked ? '_masked' : ''}`, {
        source: `TF.js ${tf.version.tfjs} ops: seeds 001/004 attention_3d_block(SINGLE_ATTENTION_VECTOR=${singleVector ? 'True' : 'False'})` +
          (masked ? ', padded steps absent' : ''),
        spec: { className: 'TimeAttention', config: { singleVector } },
        inputs: [x],
        masks: masked ? [mask] : [],
        weights,
        outputs: [tf.mul(x, aProbs)],
        attention: singleVector ? aProbs.slice([0, 0, 0], [Bt, Tt, 1]).reshape([Bt, Tt]) : aProbs,
      });
    }
}

// Seeds 000/001: attention_probs = Dense(D, activation='softmax')(inputs); out = multiply([inputs, attention_probs]).
{
  const Bt = 4, Dt = 5;
  const x = tf.tensor2d(values(Bt * Dt, 59, 1.0), [Bt, Dt]);
  const weights = seededWeights([
    { name: 'feature_attention/kernel', shape: [Dt, Dt] },
    { name: 'feature_attention/bias', shape: [Dt] },
  ]);
  const [W, bias] = weights.map((w) => w.tensor);
  const a = tf.softmax(tf.add(tf.matMul(x, W), bias));
  write('feature_attention', {
    source: `TF.js ${tf.version.tfjs} ops: seeds 000/001 Dense(D, softmax, name='attention_probs') + multiply`,
    spec: { className: 'FeatureAttention', config: {} },
    inputs: [x],
    weights,
    outputs: [tf.mul(x, a)],
    attention: a,
  });
}

// Keras 3's masking of dense attention (BaseDenseAttention._apply_scores / Softmax with a mask):
// scores -= 1e9 where a (query, key) pair is masked, softmax over keys. Rows keep at least one key
// here: a fully masked row is where we differ (zeros, not uniform), tested in C++.
function kerasSoftmax(scores, pairMask) {
  if (!pairMask) return tf.softmax(scores);
  return tf.softmax(tf.sub(scores, tf.mul(1e9, tf.sub(1, pairMask))));
}
// (B, Tq, Tv) pair mask: value mask over keys, causal (key j <= query i). null when neither.
function pairMaskFor(batch, tq, tv, valueMask, causal) {
  if (!valueMask && !causal) return null;
  let m = valueMask ? tf.tile(valueMask.reshape([batch, 1, tv]), [1, tq, 1]) : tf.ones([batch, tq, tv]);
  if (causal) m = tf.mul(m, tf.linalg.bandPart(tf.ones([tq, tv]), -1, 0).reshape([1, tq, tv]));
  return m;
}

// Keras 3 Attention (score_mode dot | concat, use_scale, use_causal_mask) and AdditiveAttention:
//   dot:      scores = q k^T (* scale)
//   concat:   scores = concat_score_weight * sum_d tanh(scale * (q_i + k_j))   (scale only with use_scale)
//   additive: scores = sum_d scale_d * tanh(q_i + k_j)                        (scale = 1 without use_scale)
//   weights = softmax(scores - 1e9 * !mask); out = weights v; out *= query mask
{
  const Bt = 2, Tq = 4, Tv = 5, Dt = 3, Dv = 2;
  const query = tf.tensor3d(values(Bt * Tq * Dt, 61, 1.0), [Bt, Tq, Dt]);
  const value = tf.tensor3d(values(Bt * Tv * Dv, 67, 1.0), [Bt, Tv, Dv]);
  const key = tf.tensor3d(values(Bt * Tv * Dt, 71, 1.0), [Bt, Tv, Dt]);
  const queryMask = maskFrom([[1, 1, 1, 0], [1, 1, 1, 1]]);
  // Every query keeps a key under the causal mask too (key 0 is never masked): a fully masked
  // row is where we differ from Keras, tested in C++.
  const valueMask = maskFrom([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]]);
  const tanhSum = (q, k, scaleVec) => {   // sum_d scale_d * tanh(q_i + k_j): (B, Tq, Tv)
    const t = tf.tanh(tf.add(q.reshape([Bt, Tq, 1, Dt]), k.reshape([Bt, 1, Tv, Dt])));
    return tf.sum(scaleVec ? tf.mul(t, scaleVec) : t, -1);
  };
  const cases = [
    ['dot_attention', 'Attention', { useScale: false, scoreMode: 'dot', causal: false }, false],
    ['dot_attention_scaled_key_masked', 'Attention', { useScale: true, scoreMode: 'dot', causal: false }, true],
    ['dot_attention_concat_masked', 'Attention', { useScale: false, scoreMode: 'concat', causal: false }, true],
    ['dot_attention_concat_scaled_causal', 'Attention', { useScale: true, scoreMode: 'concat', causal: true }, true],
    ['dot_attention_causal', 'Attention', { useScale: false, scoreMode: 'dot', causal: true }, false],
    ['additive_attention', 'AdditiveAttention', { useScale: true, causal: false }, false],
    ['additive_attention_masked', 'AdditiveAttention', { useScale: true, causal: false }, true],
    ['additive_attention_unscaled_causal_masked', 'AdditiveAttention', { useScale: false, causal: true }, true],
  ];
  for (const [name, kerasClass, config, masked] of cases) {
    const withKey = name.includes('key') || kerasClass === 'AdditiveAttention';
    const layerName = kerasClass === 'Attention' ? 'dot_attention' : 'additive_attention';
    const list = [];
    if (kerasClass === 'Attention') {
      if (config.useScale) list.push({ name: `${layerName}/scale`, shape: [] });
      if (config.scoreMode === 'concat') list.push({ name: `${layerName}/concat_score_weight`, shape: [] });
    } else if (config.useScale) list.push({ name: `${layerName}/scale`, shape: [Dt] });
    const weights = seededWeights(list);
    const W = Object.fromEntries(weights.map((w) => [w.name.split('/')[1], w.tensor]));
    // Without a key the value is the key, so it takes the query's width.
    const v = withKey ? value : tf.tensor3d(values(Bt * Tv * Dt, 73, 1.0), [Bt, Tv, Dt]);
    const kk = withKey ? key : v;
    let scores;
    if (kerasClass === 'AdditiveAttention') scores = tanhSum(query, kk, config.useScale ? W.scale : null);
    else if (config.scoreMode === 'dot') {
      scores = tf.matMul(query, kk, false, true);
      if (config.useScale) scores = tf.mul(scores, W.scale);
    } else {
      const t = tf.tanh(tf.mul(tf.add(query.reshape([Bt, Tq, 1, Dt]), kk.reshape([Bt, 1, Tv, Dt])),
        config.useScale ? W.scale : 1));
      scores = tf.mul(W.concat_score_weight, tf.sum(t, -1));
    }
    const pairMask = pairMaskFor(Bt, Tq, Tv, masked ? valueMask : null, config.causal);
    const weightsOut = kerasSoftmax(scores, pairMask);
    let out = tf.matMul(weightsOut, v);
    if (masked) out = tf.mul(out, queryMask.reshape([Bt, Tq, 1]));
    const inputs = withKey ? [query, v, kk] : [query, v];
    write(name, {
      source: `TF.js ${tf.version.tfjs} ops: Keras 3 ${kerasClass}(${JSON.stringify(config)})` +
        (masked ? ' with query and value masks' : ''),
      spec: { className: kerasClass === 'Attention' ? 'DotAttention' : 'AdditiveAttention', config: { ...config, dropout: 0 } },
      inputs,
      masks: masked ? [queryMask, valueMask] : [],
      weights,
      outputs: [out],
      attention: weightsOut,
    });
  }
}

// Keras 3 MultiHeadAttention (attention over axis 1):
//   query_dense, key_dense, value_dense: EinsumDense('abc,cde->abde', bias_axes='de'): kernel (D, H, K), bias (H, K)
//   query *= 1 / sqrt(key_dim); scores = einsum('aecd,abcd->acbe', key, query): (B, H, T, S)
//   mask = query_mask[:, :, None] & value_mask[:, None, :] & key_mask[:, None, :] (& causal);
//   weights = Softmax(axis=-1)(scores, mask) (-1e9 where masked, times the mask afterwards)
//   context = einsum('acbe,aecd->abcd', weights, value): (B, T, H, Vd)
//   output_dense: EinsumDense('abcd,cde->abe', bias_axes='e'): kernel (H, Vd, Dout), bias (Dout)
{
  const Bt = 2, Tq = 4, S = 5, Dq = 6, Dk = 5, Dvin = 4, H = 2, Kd = 3, Vd = 2;
  const query = tf.tensor3d(values(Bt * Tq * Dq, 79, 1.0), [Bt, Tq, Dq]);
  const value = tf.tensor3d(values(Bt * S * Dvin, 83, 1.0), [Bt, S, Dvin]);
  const key = tf.tensor3d(values(Bt * S * Dk, 89, 1.0), [Bt, S, Dk]);
  const queryMask = maskFrom([[1, 1, 1, 0], [1, 1, 1, 1]]);
  const valueMask = maskFrom([[1, 1, 1, 1, 0], [0, 1, 1, 1, 1]]);
  const keyMask = maskFrom([[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]]);
  const cases = [
    ['multi_head_attention', { numHeads: H, keyDim: Kd, valueDim: Vd, useBias: true, causal: false }, 'none'],
    ['multi_head_attention_masked', { numHeads: H, keyDim: Kd, valueDim: Vd, useBias: true, causal: false }, 'all'],
    ['multi_head_attention_causal_no_bias', { numHeads: H, keyDim: Kd, valueDim: Vd, useBias: false, causal: true, outputShape: [3] }, 'value'],
  ];
  for (const [name, config, maskKind] of cases) {
    const Dout = config.outputShape ? config.outputShape[0] : Dq;
    const list = [{ name: 'multi_head_attention/query/kernel', shape: [Dq, H, Kd] }];
    if (config.useBias) list.push({ name: 'multi_head_attention/query/bias', shape: [H, Kd] });
    list.push({ name: 'multi_head_attention/key/kernel', shape: [Dk, H, Kd] });
    if (config.useBias) list.push({ name: 'multi_head_attention/key/bias', shape: [H, Kd] });
    list.push({ name: 'multi_head_attention/value/kernel', shape: [Dvin, H, Vd] });
    if (config.useBias) list.push({ name: 'multi_head_attention/value/bias', shape: [H, Vd] });
    list.push({ name: 'multi_head_attention/attention_output/kernel', shape: [H, Vd, Dout] });
    if (config.useBias) list.push({ name: 'multi_head_attention/attention_output/bias', shape: [Dout] });
    const weights = seededWeights(list);
    const W = Object.fromEntries(weights.map((w) => [w.name.split('/').slice(1).join('/'), w.tensor]));
    const einsumDense = (x, kernel, bias, heads, width) => {   // 'abc,cde->abde' (+ bias 'de')
      const [b, t, d] = x.shape;
      let y = tf.matMul(x.reshape([b * t, d]), kernel.reshape([d, heads * width])).reshape([b, t, heads, width]);
      return bias ? tf.add(y, bias) : y;
    };
    const q = tf.mul(einsumDense(query, W['query/kernel'], W['query/bias'], H, Kd), 1 / Math.sqrt(Kd));
    const k = einsumDense(key, W['key/kernel'], W['key/bias'], H, Kd);
    const v = einsumDense(value, W['value/kernel'], W['value/bias'], H, Vd);
    // 'aecd,abcd->acbe': (B, S, H, K), (B, T, H, K) -> (B, H, T, S)
    const scores = tf.matMul(tf.transpose(q, [0, 2, 1, 3]), tf.transpose(k, [0, 2, 1, 3]), false, true);
    let mask = null;
    if (maskKind !== 'none' || config.causal) {
      mask = tf.ones([Bt, Tq, S]);
      if (maskKind === 'all') mask = tf.mul(mask, queryMask.reshape([Bt, Tq, 1]));
      if (maskKind !== 'none') mask = tf.mul(mask, valueMask.reshape([Bt, 1, S]));
      if (maskKind === 'all') mask = tf.mul(mask, keyMask.reshape([Bt, 1, S]));
      if (config.causal) mask = tf.mul(mask, tf.linalg.bandPart(tf.ones([Tq, S]), -1, 0).reshape([1, Tq, S]));
      mask = mask.reshape([Bt, 1, Tq, S]);
    }
    let attn = mask ? tf.softmax(tf.add(scores, tf.mul(-1e9, tf.sub(1, mask)))) : tf.softmax(scores);
    if (mask) attn = tf.mul(attn, mask);
    const context = tf.transpose(tf.matMul(attn, tf.transpose(v, [0, 2, 1, 3])), [0, 2, 1, 3]);  // (B, T, H, Vd)
    let out = tf.matMul(context.reshape([Bt * Tq, H * Vd]), W['attention_output/kernel'].reshape([H * Vd, Dout]))
      .reshape([Bt, Tq, Dout]);
    if (config.useBias) out = tf.add(out, W['attention_output/bias']);
    const masks = maskKind === 'all' ? [queryMask, valueMask, keyMask] : maskKind === 'value' ? [null, valueMask] : [];
    write(name, {
      source: `TF.js ${tf.version.tfjs} ops: Keras 3 MultiHeadAttention(num_heads=${H}, key_dim=${Kd}, value_dim=${Vd}, ` +
        `use_bias=${config.useBias ? 'True' : 'False'}${config.outputShape ? `, output_shape=${config.outputShape[0]}` : ''})` +
        `${config.causal ? ', use_causal_mask=True' : ''}, masks: ${maskKind}`,
      spec: { className: 'MultiHeadAttention', config: { ...config, dropout: 0 } },
      inputs: [query, value, key],
      masks,
      weights,
      outputs: [out],
      attention: attn,
    });
  }
}
