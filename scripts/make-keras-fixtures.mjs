// Writes tests/fixtures/keras/<case>/: Keras models saved by TF.js in its Layers format
// (model.json + weights.bin, the files tensorflowjs_converter also writes from Keras .h5 files),
// with an input and TF.js' own prediction for it (expected.json), which tests/js/keras.test.mjs
// compares loadKerasModel against. Weights are seeded, so the files regenerate exactly:
//   node scripts/make-keras-fixtures.mjs
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

await tf.setBackend('cpu');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'keras');

function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const values = (count, seed, scale) => {
  const next = seeded(seed);
  return Float32Array.from({ length: count }, () => (next() * 2 - 1) * scale);
};
const numel = (shape) => shape.reduce((a, b) => a * b, 1);

async function save(name, model, input, compile) {
  // Seeded weights; variances must stay positive (BatchNormalization's moving_variance).
  model.setWeights(model.weights.map((w, k) => {
    const v = values(numel(w.shape), 500 + 31 * k, 0.4);
    return tf.tensor(w.name.includes('moving_variance') ? v.map((e) => 0.5 + Math.abs(e)) : v, w.shape);
  }));
  if (compile) model.compile(compile);
  const prediction = model.predict(input);
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const modelJson = {
    format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null,
    modelTopology: artifacts.modelTopology,
    ...(compile ? { trainingConfig: model.getTrainingConfig() } : {}),
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson, null, 1) + '\n');
  writeFileSync(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
  const tensorJson = (t) => ({ shape: t.shape, data: Array.from(t.dataSync(), (v) => Number(v.toPrecision(9))) });
  writeFileSync(join(dir, 'expected.json'), JSON.stringify({
    source: `TF.js ${tf.version.tfjs}, ${tf.getBackend()} backend: model.predict`,
    inputs: (Array.isArray(input) ? input : [input]).map(tensorJson), prediction: tensorJson(prediction),
    layers: model.layers.map((l) => l.name),
  }) + '\n');
  console.log(`${name}: ${artifacts.weightData.byteLength} bytes of weights`);
}

const series = (batch, steps, features, seed) => tf.tensor3d(values(batch * steps * features, seed, 1), [batch, steps, features]);

// CNN-LSTM: conv1D (causal padding is a TF.js NotImplementedError, so 'same') -> pooling -> LSTM.
{
  const m = tf.sequential({ name: 'cnn_lstm' });
  m.add(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 2], name: 'conv' }));
  m.add(tf.layers.maxPooling1d({ poolSize: 2, name: 'pool' }));
  m.add(tf.layers.lstm({ units: 5, returnSequences: true, name: 'lstm' }));
  m.add(tf.layers.globalAveragePooling1d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  await save('cnn_lstm', m, series(3, 12, 2, 11), { optimizer: tf.train.adam(0.002), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
}

// Functional, two inputs, text + series: embedding(maskZero) -> bidirectional GRU; masking ->
// simpleRNN; concatenated; dropout; dense softmax.
{
  const words = tf.input({ shape: [6], name: 'words' });
  const sensor = tf.input({ shape: [5, 3], name: 'sensor' });
  const e = tf.layers.embedding({ inputDim: 20, outputDim: 4, maskZero: true, name: 'embed' }).apply(words);
  const g = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, resetAfter: false }), mergeMode: 'concat', name: 'bigru' }).apply(e);
  const masked = tf.layers.masking({ maskValue: 0, name: 'mask' }).apply(sensor);
  const r = tf.layers.simpleRNN({ units: 4, name: 'rnn' }).apply(masked);
  const c = tf.layers.concatenate({ name: 'joined' }).apply([g, r]);
  const d = tf.layers.dropout({ rate: 0.3, name: 'drop' }).apply(c);
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(d);
  const m = tf.model({ inputs: [words, sensor], outputs: out, name: 'two_inputs' });
  const ids = tf.tensor2d([[3, 7, 1, 0, 0, 0], [5, 5, 2, 9, 14, 0], [1, 2, 3, 4, 5, 6]], [3, 6]);
  const x = series(3, 5, 3, 23).mul(tf.tensor3d([1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 5, 1]));
  await save('two_inputs', m, [ids, x]);
}

// Every other TF.js layer the library reads, in one functional model (no training config):
// time-distributed dense, layer and batch normalization, pooling, spatial dropout, LSTM over
// time, dot / add / multiply / average / maximum merges, repeat, permute, reshape, flatten, activation.
{
  const x = tf.input({ shape: [8, 3], name: 'series' });
  const td = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'tanh' }), name: 'td' }).apply(x);
  const ln = tf.layers.layerNormalization({ name: 'ln' }).apply(td);
  const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(ln);
  const sd = tf.layers.spatialDropout1d({ rate: 0.2, name: 'sdrop' }).apply(bn);
  const avg = tf.layers.averagePooling1d({ poolSize: 2, name: 'avg' }).apply(sd);
  const seq = tf.layers.lstm({ units: 4, returnSequences: true, name: 'seq' }).apply(avg);
  const gmax = tf.layers.globalMaxPooling1d({ name: 'gmax' }).apply(seq);
  const gavg = tf.layers.globalAveragePooling1d({ name: 'gavg' }).apply(seq);
  const added = tf.layers.add({ name: 'added' }).apply([gmax, gavg]);
  const product = tf.layers.multiply({ name: 'product' }).apply([gmax, gavg]);
  const mean = tf.layers.average({ name: 'mean' }).apply([gmax, gavg, added]);
  const peak = tf.layers.maximum({ name: 'peak' }).apply([gmax, gavg]);
  const dot = tf.layers.dot({ axes: 1, name: 'dotted' }).apply([added, product]);
  const rep = tf.layers.repeatVector({ n: 3, name: 'rep' }).apply(added);
  const perm = tf.layers.permute({ dims: [2, 1], name: 'perm' }).apply(rep);
  const flat = tf.layers.flatten({ name: 'flat' }).apply(perm);
  const reshaped = tf.layers.reshape({ targetShape: [12], name: 'reshaped' }).apply(flat);
  const joined = tf.layers.concatenate({ name: 'all' }).apply([reshaped, dot, mean, peak]);
  const act = tf.layers.activation({ activation: 'relu', name: 'act' }).apply(joined);
  const out = tf.layers.dense({ units: 2, name: 'head' }).apply(act);
  const m = tf.model({ inputs: x, outputs: out, name: 'many_layers' });
  await save('many_layers', m, series(3, 8, 3, 29));
}

// The CNN-LSTM and the many-layer model again as legacy Keras .h5 files
// (tests/fixtures/keras/<name>.h5), in the layout Keras 2's saving code writes
// (keras/engine/saving.py; checked against real Keras 2.2 files): root attributes keras_version,
// backend, model_config and training_config (JSON text); group model_weights with attribute
// layer_names; per layer a group with attribute weight_names and the datasets at
// "<layer>/<weight>:0". Same weights as the TF.js files, so their expected.json holds.
async function writeLegacyH5(name, trainingConfig) {
  const { default: h5wasm } = await import('h5wasm');
  const { FS } = await h5wasm.ready;
  const { readFileSync } = await import('node:fs');
  const dir = join(root, name);
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weightData = readFileSync(join(dir, 'weights.bin'));
  const f = new h5wasm.File(`/${name}.h5`, 'w');
  f.create_attribute('keras_version', '2.2.4');
  f.create_attribute('backend', 'tensorflow');
  f.create_attribute('model_config', JSON.stringify(modelJson.modelTopology));
  if (trainingConfig) f.create_attribute('training_config', JSON.stringify(trainingConfig));
  const weightsGroup = f.create_group('model_weights');
  const layerNames = modelJson.modelTopology.config.layers.map((l) => l.config.name);
  weightsGroup.create_attribute('layer_names', layerNames);
  const specs = modelJson.weightsManifest[0].weights;
  const offsets = [];
  specs.reduce((at, spec) => { offsets.push(at); return at + 4 * spec.shape.reduce((a, b) => a * b, 1); }, 0);
  for (const layer of layerNames) {
    const group = weightsGroup.create_group(layer);
    const mine = specs.map((spec, k) => ({ spec, offset: offsets[k] })).filter(({ spec }) => spec.name.split('/')[0] === layer);
    const names = mine.map(({ spec }) => `${spec.name}:0`);
    if (names.length) group.create_attribute('weight_names', names);
    const inner = mine.length ? group.create_group(layer) : null;
    for (const { spec, offset } of mine) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(weightData.buffer.slice(weightData.byteOffset + offset, weightData.byteOffset + offset + 4 * count));
      inner.create_dataset({ name: `${spec.name.split('/').slice(1).join('/')}:0`, data, shape: spec.shape, dtype: '<f' });
    }
  }
  f.close();
  writeFileSync(join(root, `${name}.h5`), FS.readFile(`/${name}.h5`));
  FS.unlink(`/${name}.h5`);
  console.log(`${name}.h5 written`);
}
await writeLegacyH5('cnn_lstm', {
  optimizer_config: { class_name: 'Adam', config: { lr: 0.002, beta_1: 0.9, beta_2: 0.999, decay: 0.0, epsilon: 1e-7, amsgrad: false } },
  loss: 'binary_crossentropy', metrics: ['acc'], sample_weight_mode: null, loss_weights: null });
await writeLegacyH5('many_layers', null);

// The two-input model again as a Keras 3 .keras file (tests/fixtures/keras/two_inputs.keras), in
// the layout Keras 3's saving_lib writes (checked against real .keras files of Keras 3.10 and
// 3.13): a zip of metadata.json, config.json (the model config with compile_config) and
// model.weights.h5, whose datasets sit at layers/<snake-cased class>[_<n>]/.../vars/<i>; the
// counter runs per class over the functional model's layers, InputLayers included; sub-layers go
// by attribute name (forward_layer, backward_layer, cell). HDF5 lists keys alphabetically, so
// backward_layer comes before forward_layer in the file.
{
  const { readFileSync } = await import('node:fs');
  const dir = join(root, 'two_inputs');
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weightData = readFileSync(join(dir, 'weights.bin'));
  const paths = {
    'embed/embeddings': 'layers/embedding/vars/0',
    'bigru/forward_gru_GRU1/kernel': 'layers/bidirectional/forward_layer/cell/vars/0',
    'bigru/forward_gru_GRU1/recurrent_kernel': 'layers/bidirectional/forward_layer/cell/vars/1',
    'bigru/forward_gru_GRU1/bias': 'layers/bidirectional/forward_layer/cell/vars/2',
    'bigru/backward_gru_GRU1/kernel': 'layers/bidirectional/backward_layer/cell/vars/0',
    'bigru/backward_gru_GRU1/recurrent_kernel': 'layers/bidirectional/backward_layer/cell/vars/1',
    'bigru/backward_gru_GRU1/bias': 'layers/bidirectional/backward_layer/cell/vars/2',
    'rnn/kernel': 'layers/simple_rnn/cell/vars/0',
    'rnn/recurrent_kernel': 'layers/simple_rnn/cell/vars/1',
    'rnn/bias': 'layers/simple_rnn/cell/vars/2',
    'probs/kernel': 'layers/dense/vars/0',
    'probs/bias': 'layers/dense/vars/1',
  };
  const tensors = {};
  let offset = 0;
  for (const spec of modelJson.weightsManifest[0].weights) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    tensors[paths[spec.name]] = tf.tensor(new Float32Array(weightData.buffer.slice(weightData.byteOffset + offset,
      weightData.byteOffset + offset + 4 * count)), spec.shape);
    offset += 4 * count;
  }
  await writeKeras3('two_inputs.keras', { ...modelJson.modelTopology, compile_config: null }, tensors);
}

// ---- Keras 3 .keras files with attention layers -------------------------------------------------
// Written here with h5wasm and fflate in the layout Keras 3.10-3.13 write (checked against real
// files): config.json in Keras 3's own spelling (module, class_name, registered_name, build_config,
// {args, kwargs} inbound nodes whose tensors carry keras_history, dtype policies, initializers),
// weights at layers/<snake_case class>[_<n>]/<sub-layer attribute>/vars/<i>. Keras 3's saving
// walks public attributes first, so MultiHeadAttention's projections sit under query_dense,
// key_dense, value_dense, output_dense and the `attention` package v5's output Dense (named
// attention_vector) under its attribute w_c.
// No Keras ran here, so each reference is an independent re-computation in TF.js: TF.js' own
// Embedding / LSTM layers given the same weights, and each attention layer's definition (Keras 3
// keras/src/layers/attention/*.py; the package's attention/attention.py) written in TF.js ops.
// Saved beside each file as <name>.expected.json: inputs, prediction and attention weights.
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const initializer = (cls, config = {}) => ({ module: 'keras.initializers', class_name: cls, config, registered_name: null });
const kerasTensor = (layer, shape) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] } });
function keras3Layer(cls, name, config, args, inputShape, { module = 'keras.layers', registered = null } = {}) {
  return {
    module, class_name: cls, config: { name, trainable: true, dtype: policy, ...config }, registered_name: registered,
    build_config: { input_shape: inputShape }, name, inbound_nodes: [{ args, kwargs: {} }],
  };
}
const keras3Input = (name, shape) => ({
  module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name, inbound_nodes: [],
  config: { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name, optional: false },
});
const denseConfig = (units, activation, useBias = true) => ({
  units, activation, use_bias: useBias, kernel_initializer: initializer('GlorotUniform', { seed: null }),
  bias_initializer: initializer('Zeros'), kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null,
  bias_constraint: null, quantization_config: null,
});
const lstmConfig = (units, returnSequences) => ({
  return_sequences: returnSequences, return_state: false, go_backwards: false, stateful: false, unroll: false,
  zero_output_for_mask: false, units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
  kernel_initializer: initializer('GlorotUniform', { seed: null }), recurrent_initializer: initializer('Orthogonal', { seed: null, gain: 1.0 }),
  bias_initializer: initializer('Zeros'), unit_forget_bias: true, kernel_regularizer: null, recurrent_regularizer: null,
  bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null,
  bias_constraint: null, dropout: 0.0, recurrent_dropout: 0.0, seed: null,
});

// A Keras 3 .keras file from a config and {weight path: tensor}; the datasets are created in
// HDF5's own (alphabetical) order, as a file Keras wrote reads back.
async function writeKeras3(file, config, tensors) {
  const { default: h5wasm } = await import('h5wasm');
  const { zipSync, strToU8 } = await import('fflate');
  const { FS } = await h5wasm.ready;
  const f = new h5wasm.File('/fixture.weights.h5', 'w');
  const groups = new Map([['', f]]);
  const groupOf = (path) => {
    if (!groups.has(path)) {
      const cut = path.lastIndexOf('/');
      groups.set(path, groupOf(cut < 0 ? '' : path.slice(0, cut)).create_group(path.slice(cut + 1)));
    }
    return groups.get(path);
  };
  for (const path of Object.keys(tensors).sort()) {
    const cut = path.lastIndexOf('/');
    const t = tensors[path];
    groupOf(path.slice(0, cut)).create_dataset({ name: path.slice(cut + 1), data: t.dataSync(), shape: t.shape, dtype: '<f' });
  }
  f.close();
  const zip = zipSync({
    'metadata.json': strToU8(JSON.stringify({ keras_version: '3.10.0', date_saved: 'fixture' })),
    'config.json': strToU8(JSON.stringify(config)),
    'model.weights.h5': FS.readFile('/fixture.weights.h5'),
  }, { mtime: new Date('2026-01-01T00:00:00Z') });
  writeFileSync(join(root, file), zip);
  FS.unlink('/fixture.weights.h5');
  console.log(`${file} written`);
  return tensors;
}
// weights: [{path, shape}], given seeded values by position. Returns {path: tensor}.
const writeSeededKeras3 = (file, config, weights) => writeKeras3(file, config, Object.fromEntries(weights.map(({ path, shape }, k) =>
  [path, tf.tensor(values(numel(shape), 700 + 37 * k, 0.6), shape)])));
const tensorJson = (t) => ({ shape: t.shape, data: Array.from(t.dataSync(), (v) => Number(v.toPrecision(9))) });
function writeExpected(file, source, inputs, prediction, attention) {
  writeFileSync(join(root, file), JSON.stringify({
    source, inputs: inputs.map(tensorJson), prediction: tensorJson(prediction),
    attention: Object.fromEntries(Object.entries(attention).map(([k, v]) => [k, tensorJson(v)])),
  }) + '\n');
  console.log(`${file} written`);
}
// TF.js' LSTM given Keras-order weights [kernel, recurrent_kernel, bias], run with an optional mask.
function tfjsLstm(x, units, returnSequences, [kernel, recurrent, bias], mask = null) {
  const layer = tf.layers.lstm({ units, returnSequences, recurrentActivation: 'sigmoid' });
  layer.apply(x);
  layer.setWeights([kernel, recurrent, bias]);
  return layer.apply(x, mask ? { mask } : {});
}
// Keras' masked softmax (Softmax layer with a mask: scores - 1e9 where masked) over the last axis.
const maskedSoftmax = (scores, pairMask) => tf.softmax(pairMask ? tf.sub(scores, tf.mul(1e9, tf.sub(1, pairMask))) : scores);

// The `attention` package v5 in both score modes on one LSTM: Input -> LSTM(return_sequences) ->
// [Attention(3, 'luong'), Attention(3, 'bahdanau')] -> Concatenate -> Dense(sigmoid).
{
  const B = 3, T = 6, D = 3, U = 4, units = 3;
  const seq = [null, T, U];
  const pkg = { module: 'attention.attention', registered: 'Attention' };
  const config = {
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
    config: {
      name: 'attention_package', trainable: true,
      layers: [
        keras3Input('series', [T, D]),
        keras3Layer('LSTM', 'encoder', lstmConfig(U, true), [kerasTensor('series', [null, T, D])], [null, T, D]),
        keras3Layer('Attention', 'luong', { units, score: 'luong' }, [kerasTensor('encoder', seq)], seq, pkg),
        keras3Layer('Attention', 'bahdanau', { units, score: 'bahdanau' }, [kerasTensor('encoder', seq)], seq, pkg),
        keras3Layer('Concatenate', 'joined', { axis: -1 }, [[kerasTensor('luong', [null, units]), kerasTensor('bahdanau', [null, units])]],
          [[null, units], [null, units]]),
        keras3Layer('Dense', 'out', denseConfig(1, 'sigmoid'), [kerasTensor('joined', [null, 2 * units])], [null, 2 * units]),
      ],
      input_layers: [['series', 0, 0]], output_layers: [['out', 0, 0]],
    },
    compile_config: {
      optimizer: { module: 'keras.optimizers', class_name: 'Adam', config: { name: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false }, registered_name: null },
      loss: 'binary_crossentropy', loss_weights: null, metrics: ['accuracy'], weighted_metrics: null, run_eagerly: false, steps_per_execution: 1, jit_compile: false,
    },
  };
  const W = await writeSeededKeras3('attention_package.keras', config, [
    { path: 'layers/lstm/cell/vars/0', shape: [D, 4 * U] },
    { path: 'layers/lstm/cell/vars/1', shape: [U, 4 * U] },
    { path: 'layers/lstm/cell/vars/2', shape: [4 * U] },
    { path: 'layers/attention/luong_w/vars/0', shape: [U, U] },
    { path: 'layers/attention/w_c/vars/0', shape: [2 * U, units] },
    { path: 'layers/attention_1/bahdanau_v/vars/0', shape: [U, 1] },
    { path: 'layers/attention_1/bahdanau_w1/vars/0', shape: [U, U] },
    { path: 'layers/attention_1/bahdanau_w2/vars/0', shape: [U, U] },
    { path: 'layers/attention_1/w_c/vars/0', shape: [2 * U, units] },
    { path: 'layers/dense/vars/0', shape: [2 * units, 1] },
    { path: 'layers/dense/vars/1', shape: [1] },
  ]);
  const x = series(B, T, D, 31);
  const hs = tfjsLstm(x, U, true, ['0', '1', '2'].map((i) => W[`layers/lstm/cell/vars/${i}`]));  // (B, T, U)
  const ht = hs.slice([0, T - 1, 0], [B, 1, U]).reshape([B, U]);
  const flat = hs.reshape([B * T, U]);
  // luong: score_s = h_t . (W h_s); bahdanau: score_s = v . tanh(W1 h_t + W2 h_s)
  const luongScore = tf.sum(tf.mul(tf.matMul(flat, W['layers/attention/luong_w/vars/0']).reshape([B, T, U]), ht.reshape([B, 1, U])), -1);
  const bahdanauScore = tf.matMul(tf.tanh(tf.add(
    tf.matMul(ht, W['layers/attention_1/bahdanau_w1/vars/0']).reshape([B, 1, U]),
    tf.matMul(flat, W['layers/attention_1/bahdanau_w2/vars/0']).reshape([B, T, U]))).reshape([B * T, U]),
  W['layers/attention_1/bahdanau_v/vars/0']).reshape([B, T]);
  const head = (score, wc) => {
    const a = tf.softmax(score);                                           // (B, T)
    const c = tf.sum(tf.mul(hs, a.reshape([B, T, 1])), 1);                 // (B, U)
    return { a, out: tf.tanh(tf.matMul(tf.concat([c, ht], 1), wc)) };
  };
  const luong = head(luongScore, W['layers/attention/w_c/vars/0']);
  const bahdanau = head(bahdanauScore, W['layers/attention_1/w_c/vars/0']);
  const prediction = tf.sigmoid(tf.add(tf.matMul(tf.concat([luong.out, bahdanau.out], 1), W['layers/dense/vars/0']), W['layers/dense/vars/1']));
  writeExpected('attention_package.expected.json',
    `TF.js ${tf.version.tfjs}: its LSTM layer and the attention package v5's Attention written in TF.js ops`,
    [x], prediction, { luong: luong.a, bahdanau: bahdanau.a });
}

// Keras' own attention layers on masked text: Embedding(mask_zero) -> LSTM(return_sequences) ->
// [Attention(use_scale)([h, h]), AdditiveAttention([h, h]), MultiHeadAttention(2, 3)(h, h)] ->
// Concatenate -> LSTM -> Dense(softmax). Rows padded after, before, and not at all; Keras passes
// the Embedding's mask to every layer (query and value masks; Concatenate ANDs them).
{
  const B = 3, T = 7, V = 20, E = 4, U = 4, H = 2, K = 3, S = 3;
  const seq = [null, T, U];
  const h = () => kerasTensor('encoder', seq);
  const config = {
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
    config: {
      name: 'keras_attention', trainable: true,
      layers: [
        keras3Input('words', [T]),
        keras3Layer('Embedding', 'embed', {
          input_dim: V, output_dim: E, embeddings_initializer: initializer('RandomUniform', { minval: -0.05, maxval: 0.05, seed: null }),
          embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null, mask_zero: true,
        }, [kerasTensor('words', [null, T])], [null, T]),
        keras3Layer('LSTM', 'encoder', lstmConfig(U, true), [kerasTensor('embed', [null, T, E])], [null, T, E]),
        keras3Layer('Attention', 'dot', { use_scale: true, score_mode: 'dot', dropout: 0.0, seed: null }, [[h(), h()]], [seq, seq]),
        keras3Layer('AdditiveAttention', 'additive', { use_scale: true, dropout: 0.0 }, [[h(), h()]], [seq, seq]),
        keras3Layer('MultiHeadAttention', 'mha', {
          num_heads: H, key_dim: K, value_dim: K, dropout: 0.0, use_bias: true, output_shape: null, attention_axes: [1],
          kernel_initializer: initializer('GlorotUniform', { seed: null }), bias_initializer: initializer('Zeros'),
          kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null,
          bias_constraint: null, seed: null,
        }, [h(), h()], seq),
        keras3Layer('Concatenate', 'joined', { axis: -1 }, [[kerasTensor('dot', seq), kerasTensor('additive', seq), kerasTensor('mha', seq)]],
          [seq, seq, seq]),
        keras3Layer('LSTM', 'summary', lstmConfig(S, false), [kerasTensor('joined', [null, T, 3 * U])], [null, T, 3 * U]),
        keras3Layer('Dense', 'probs', denseConfig(2, 'softmax'), [kerasTensor('summary', [null, S])], [null, S]),
      ],
      input_layers: [['words', 0, 0]], output_layers: [['probs', 0, 0]],
    },
  };
  const W = await writeSeededKeras3('keras_attention.keras', config, [
    { path: 'layers/embedding/vars/0', shape: [V, E] },
    { path: 'layers/lstm/cell/vars/0', shape: [E, 4 * U] },
    { path: 'layers/lstm/cell/vars/1', shape: [U, 4 * U] },
    { path: 'layers/lstm/cell/vars/2', shape: [4 * U] },
    { path: 'layers/attention/vars/0', shape: [] },
    { path: 'layers/additive_attention/vars/0', shape: [U] },
    { path: 'layers/multi_head_attention/query_dense/vars/0', shape: [U, H, K] },
    { path: 'layers/multi_head_attention/query_dense/vars/1', shape: [H, K] },
    { path: 'layers/multi_head_attention/key_dense/vars/0', shape: [U, H, K] },
    { path: 'layers/multi_head_attention/key_dense/vars/1', shape: [H, K] },
    { path: 'layers/multi_head_attention/value_dense/vars/0', shape: [U, H, K] },
    { path: 'layers/multi_head_attention/value_dense/vars/1', shape: [H, K] },
    { path: 'layers/multi_head_attention/output_dense/vars/0', shape: [H, K, U] },
    { path: 'layers/multi_head_attention/output_dense/vars/1', shape: [U] },
    { path: 'layers/lstm_1/cell/vars/0', shape: [3 * U, 4 * S] },
    { path: 'layers/lstm_1/cell/vars/1', shape: [S, 4 * S] },
    { path: 'layers/lstm_1/cell/vars/2', shape: [4 * S] },
    { path: 'layers/dense/vars/0', shape: [S, 2] },
    { path: 'layers/dense/vars/1', shape: [2] },
  ]);
  const ids = tf.tensor2d([[3, 7, 1, 5, 0, 0, 0], [0, 0, 4, 9, 2, 11, 6], [1, 2, 3, 4, 5, 6, 7]], [B, T], 'int32');
  const mask = tf.cast(tf.notEqual(ids, 0), 'float32');                          // (B, T)
  const e = tf.gather(W['layers/embedding/vars/0'], ids);                         // (B, T, E)
  const hs = tfjsLstm(e, U, true, ['0', '1', '2'].map((i) => W[`layers/lstm/cell/vars/${i}`]), mask);
  const pairMask = tf.mul(mask.reshape([B, T, 1]), mask.reshape([B, 1, T]));      // query i, key j both real
  const keyMask = tf.tile(mask.reshape([B, 1, T]), [1, T, 1]);
  const queryMask = mask.reshape([B, T, 1]);
  // Attention(use_scale, dot): scores = scale * q k^T; softmax over real keys; out = a v * query mask.
  const dotA = maskedSoftmax(tf.mul(tf.matMul(hs, hs, false, true), W['layers/attention/vars/0']), keyMask);
  const dotOut = tf.mul(tf.matMul(dotA, hs), queryMask);
  // AdditiveAttention(use_scale): scores_ij = sum_d scale_d tanh(q_id + k_jd).
  const addScores = tf.sum(tf.mul(tf.tanh(tf.add(hs.reshape([B, T, 1, U]), hs.reshape([B, 1, T, U]))), W['layers/additive_attention/vars/0']), -1);
  const addA = maskedSoftmax(addScores, keyMask);
  const addOut = tf.mul(tf.matMul(addA, hs), queryMask);
  // MultiHeadAttention: per head q = x Wq + bq (scaled by 1/sqrt(K)), k, v likewise; attention mask =
  // query mask AND value mask; out = concat_h(a_h v_h) Wo + bo.
  const project = (name) => tf.add(tf.matMul(hs.reshape([B * T, U]), W[`layers/multi_head_attention/${name}/vars/0`].reshape([U, H * K])),
    W[`layers/multi_head_attention/${name}/vars/1`].reshape([H * K])).reshape([B, T, H, K]).transpose([0, 2, 1, 3]);  // (B, H, T, K)
  const q = tf.mul(project('query_dense'), 1 / Math.sqrt(K)), k = project('key_dense'), v = project('value_dense');
  const mhaA = maskedSoftmax(tf.matMul(q, k, false, true), pairMask.reshape([B, 1, T, T]));  // (B, H, T, T)
  const heads = tf.matMul(mhaA, v).transpose([0, 2, 1, 3]).reshape([B * T, H * K]);
  const mhaOut = tf.add(tf.matMul(heads, W['layers/multi_head_attention/output_dense/vars/0'].reshape([H * K, U])),
    W['layers/multi_head_attention/output_dense/vars/1']).reshape([B, T, U]);
  const joined = tf.concat([dotOut, addOut, mhaOut], -1);
  const last = tfjsLstm(joined, S, false, ['0', '1', '2'].map((i) => W[`layers/lstm_1/cell/vars/${i}`]), mask);
  const prediction = tf.softmax(tf.add(tf.matMul(last, W['layers/dense/vars/0']), W['layers/dense/vars/1']));
  writeExpected('keras_attention.expected.json',
    `TF.js ${tf.version.tfjs}: its Embedding lookup and LSTM layer (with the mask), Keras 3's Attention, ` +
    'AdditiveAttention and MultiHeadAttention written in TF.js ops',
    [ids], prediction, { dot: dotA, additive: addA, mha: mhaA, mask });
}
