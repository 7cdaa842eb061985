// "Open a Keras model": reads a .keras, .h5 or model.json (+ .bin shards) with aw.loadKerasModel,
// shows the model's summary, and for an input the user types shows the prediction and the
// attention of every attention layer the model has. It runs on the page's thread, not in the
// training worker: Keras' file readers (attention-wasm/keras-files: h5wasm, fflate) are imported
// by package name, which the page's import map resolves and a worker cannot. They and a second
// engine instance are loaded on the first file opened, so the demo's start-up does not grow.
import { renderHeatmap } from 'attention-wasm/viz';
import { $, clearError, fmt, showError } from './page.js';

const result = $('#keras-result');
let aw = null;
let model = null;

function report(state, text, hooks = {}) {
  result.dataset.state = state;
  for (const [key, value] of Object.entries(hooks)) result.dataset[key] = JSON.stringify(value);
  result.textContent = text;
}

async function engine() {
  if (!aw) {
    const [{ init }] = await Promise.all([import('attention-wasm'), import('attention-wasm/keras-files')]);
    aw = await init();
  }
  return aw;
}

const inputLayers = () => model.inputs;
const perSample = (input) => input.shape.slice(1);
const count = (shape) => shape.reduce((a, b) => a * b, 1);
// An example input per model input: word ids where the model embeds (a (B, T) input into a model
// with an Embedding), a smooth series otherwise.
function exampleInputs() {
  const embeds = model.layers.some((l) => l.type === 'Embedding');
  return inputLayers().map((layer) => {
    const shape = perSample(layer);
    const flat = Array.from({ length: count(shape) }, (_, i) =>
      embeds && shape.length === 1 ? 1 + (i * 7) % 5 : Number(Math.sin(0.7 * i).toFixed(3)));
    const nest = (values, dims) => (dims.length === 1 ? values
      : Array.from({ length: dims[0] }, (_, k) => nest(values.slice(k * count(dims.slice(1)), (k + 1) * count(dims.slice(1))), dims.slice(1))));
    return nest(flat, shape);
  });
}

// The typed text: one sample, as a nested array (one input) or a list of them (several inputs).
function readInputs() {
  let parsed;
  try {
    parsed = JSON.parse($('#keras-input').value);
  } catch (error) {
    throw new Error(`the input is not JSON (${error.message})`);
  }
  const layers = inputLayers();
  const samples = layers.length === 1 ? [parsed] : parsed;
  if (!Array.isArray(samples) || samples.length !== layers.length) {
    throw new Error(`the model has ${layers.length} inputs (${layers.map((l) => l.name).join(', ')}): give a list of ${layers.length} samples`);
  }
  return samples.map((sample, k) => {
    const shape = perSample(layers[k]);
    const flat = [sample].flat(Infinity);
    if (flat.length !== count(shape) || flat.some((v) => typeof v !== 'number')) {
      throw new Error(`input '${layers[k].name}' needs ${count(shape)} numbers (shape ${JSON.stringify(shape)}), got ${flat.length}`);
    }
    return { data: Float32Array.from(flat), shape: [1, ...shape] };
  });
}

// One heatmap per attention layer: (1, T) one row; (1, Tq, Tv) a row per query; (1, H, T, S) a
// row per head and query; (1, T, D) a row per step.
function drawAttention(x) {
  const maps = $('#keras-maps');
  maps.replaceChildren();
  const drawn = [];
  for (const layer of model.layers.filter((l) => l.attention)) {
    const weights = model.getAttention(x, { layer: layer.name });
    const dims = weights.shape.slice(1);
    const cols = dims.at(-1);
    const rows = count(dims) / cols;
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = `${layer.name} (${layer.type}): attention ${JSON.stringify(weights.shape)}`;
    const holder = document.createElement('div');
    holder.className = 'heatmap';
    figure.append(caption, holder);
    maps.append(figure);
    const rowLabels = dims.length === 3
      ? Array.from({ length: rows }, (_, r) => `h${Math.floor(r / dims[1])} q${r % dims[1]}`) : undefined;
    renderHeatmap(holder, { data: weights.data, shape: [rows, cols] }, { rowLabels, normalize: 'row' });
    drawn.push(layer.name);
  }
  return drawn;
}

function predict() {
  if (!model) return;
  clearError();
  try {
    const inputs = readInputs();
    const x = inputs.length === 1 ? inputs[0] : inputs;
    const predicted = model.predict(x);
    const outputs = Array.isArray(predicted) ? predicted : [predicted];
    const values = outputs.map((o) => Array.from(o.data));
    const layers = drawAttention(x);
    report('predicted', `prediction: ${values.map((v) => v.map(fmt).join(', ')).join(' | ')}` +
      (layers.length ? `; attention of ${layers.join(', ')}` : '; the model has no attention layer'),
    { prediction: values, attentionLayers: layers });
  } catch (error) {
    report('error', error.message);
    showError('Keras model', error.message);
  }
}

$('#keras-file').addEventListener('change', async () => {
  const files = $('#keras-file').files;
  if (!files.length) return;
  clearError();
  report('loading', `reading ${Array.from(files, (f) => f.name).join(', ')}…`);
  try {
    const engineReady = await engine();
    const loaded = await engineReady.loadKerasModel(files);
    model?.dispose();
    model = loaded;
    $('#keras-summary').textContent = model.summary(null) +
      (model.importWarnings.length ? `\nWarnings:\n  ${model.importWarnings.join('\n  ')}` : '');
    $('#keras-input').value = JSON.stringify(exampleInputs().length === 1 ? exampleInputs()[0] : exampleInputs());
    $('#keras-predict').disabled = false;
    report('loaded', `opened '${model.name}': ${model.countParams()} parameters`, { name: model.name });
    predict();
  } catch (error) {
    report('error', error.message);
    showError('Keras model', error.message);
  } finally {
    $('#keras-file').value = '';
  }
});
$('#keras-predict').addEventListener('click', predict);
