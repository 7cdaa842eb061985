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
// time, dot / add / multiply merges, repeat, permute, reshape, flatten, activation.
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
  const dot = tf.layers.dot({ axes: 1, name: 'dotted' }).apply([added, product]);
  const rep = tf.layers.repeatVector({ n: 3, name: 'rep' }).apply(added);
  const perm = tf.layers.permute({ dims: [2, 1], name: 'perm' }).apply(rep);
  const flat = tf.layers.flatten({ name: 'flat' }).apply(perm);
  const reshaped = tf.layers.reshape({ targetShape: [12], name: 'reshaped' }).apply(flat);
  const joined = tf.layers.concatenate({ name: 'all' }).apply([reshaped, dot]);
  const act = tf.layers.activation({ activation: 'relu', name: 'act' }).apply(joined);
  const out = tf.layers.dense({ units: 2, name: 'head' }).apply(act);
  const m = tf.model({ inputs: x, outputs: out, name: 'many_layers' });
  await save('many_layers', m, series(3, 8, 3, 29));
}

// The CNN-LSTM again as a legacy Keras .h5 file (tests/fixtures/keras/cnn_lstm.h5), in the layout
// Keras 2's saving code writes (keras/engine/saving.py; checked against real Keras 2.2 files):
// root attributes keras_version, backend, model_config and training_config (JSON text); group
// model_weights with attribute layer_names; per layer a group with attribute weight_names and the
// datasets at "<layer>/<weight>:0". Same weights as the TF.js files, so expected.json holds.
{
  const { default: h5wasm } = await import('h5wasm');
  const { FS } = await h5wasm.ready;
  const dir = join(root, 'cnn_lstm');
  const modelJson = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'model.json'), 'utf8'));
  const weightData = (await import('node:fs')).readFileSync(join(dir, 'weights.bin'));
  const f = new h5wasm.File('/cnn_lstm.h5', 'w');
  f.create_attribute('keras_version', '2.2.4');
  f.create_attribute('backend', 'tensorflow');
  f.create_attribute('model_config', JSON.stringify(modelJson.modelTopology));
  f.create_attribute('training_config', JSON.stringify({
    optimizer_config: { class_name: 'Adam', config: { lr: 0.002, beta_1: 0.9, beta_2: 0.999, decay: 0.0, epsilon: 1e-7, amsgrad: false } },
    loss: 'binary_crossentropy', metrics: ['acc'], sample_weight_mode: null, loss_weights: null }));
  const weightsGroup = f.create_group('model_weights');
  const layerNames = modelJson.modelTopology.config.layers.map((l) => l.config.name);
  weightsGroup.create_attribute('layer_names', layerNames);
  let offset = 0;
  const specs = modelJson.weightsManifest[0].weights;
  for (const layer of layerNames) {
    const group = weightsGroup.create_group(layer);
    const mine = specs.filter((s) => s.name.split('/')[0] === layer);
    const names = mine.map((s) => `${s.name}:0`);
    if (names.length) group.create_attribute('weight_names', names);
    const inner = mine.length ? group.create_group(layer) : null;
    for (const spec of mine) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(weightData.buffer.slice(weightData.byteOffset + offset, weightData.byteOffset + offset + 4 * count));
      offset += 4 * count;
      inner.create_dataset({ name: `${spec.name.split('/').slice(1).join('/')}:0`, data, shape: spec.shape, dtype: '<f' });
    }
  }
  f.close();
  writeFileSync(join(root, 'cnn_lstm.h5'), FS.readFile('/cnn_lstm.h5'));
  FS.unlink('/cnn_lstm.h5');
  console.log('cnn_lstm.h5 written');
}

// The two-input model again as a Keras 3 .keras file (tests/fixtures/keras/two_inputs.keras), in
// the layout Keras 3's saving_lib writes (checked against real .keras files of Keras 3.10 and
// 3.13): a zip of metadata.json, config.json (the model config with compile_config) and
// model.weights.h5, whose datasets sit at layers/<snake-cased class>[_<n>]/.../vars/<i>; the
// counter runs per class over the functional model's layers, InputLayers included; sub-layers go
// by attribute name (forward_layer, backward_layer, cell). HDF5 lists keys alphabetically, so
// backward_layer comes before forward_layer in the file.
{
  const { default: h5wasm } = await import('h5wasm');
  const { zipSync, strToU8 } = await import('fflate');
  const { FS } = await h5wasm.ready;
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
  const f = new h5wasm.File('/two_inputs.weights.h5', 'w');
  const groups = new Map([['', f]]);
  const groupOf = (path) => {
    if (!groups.has(path)) {
      const cut = path.lastIndexOf('/');
      groups.set(path, groupOf(cut < 0 ? '' : path.slice(0, cut)).create_group(path.slice(cut + 1)));
    }
    return groups.get(path);
  };
  let offset = 0;
  const written = [];
  for (const spec of modelJson.weightsManifest[0].weights) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(weightData.buffer.slice(weightData.byteOffset + offset, weightData.byteOffset + offset + 4 * count));
    offset += 4 * count;
    written.push({ path: paths[spec.name], data, shape: spec.shape });
  }
  // Created in HDF5's own (alphabetical) order, as a file Keras wrote reads back.
  for (const w of written.sort((a, b) => a.path.localeCompare(b.path))) {
    const cut = w.path.lastIndexOf('/');
    groupOf(w.path.slice(0, cut)).create_dataset({ name: w.path.slice(cut + 1), data: w.data, shape: w.shape, dtype: '<f' });
  }
  f.close();
  const config = { ...modelJson.modelTopology, compile_config: null };
  const zip = zipSync({
    'metadata.json': strToU8(JSON.stringify({ keras_version: '3.10.0', date_saved: 'fixture' })),
    'config.json': strToU8(JSON.stringify(config)),
    'model.weights.h5': FS.readFile('/two_inputs.weights.h5'),
  }, { mtime: new Date('2026-01-01T00:00:00Z') });
  writeFileSync(join(root, 'two_inputs.keras'), zip);
  FS.unlink('/two_inputs.weights.h5');
  console.log('two_inputs.keras written');
}
