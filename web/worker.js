// The demo's training worker: owns the package instance, the task's data and the model, so the
// page's main thread only draws. It imports the package by relative URL because import maps do
// not apply inside workers.
//
// Protocol (page -> worker):            (worker -> page)
//   { type: 'init' }                      { type: 'ready', version, backend, threads }
//   { type: 'train', task, taskOptions,   { type: 'built', summary, params, task: {...}, sample }
//     modelOptions, fitOptions }          { type: 'progress', epoch, batch, seen, total, samplesPerSecond, loss }
//                                         { type: 'epoch', epoch, logs, attention, truth, seconds }
//                                         { type: 'done', stopped, history }
//   { type: 'stop' }                      (fit ends after the current batch; then 'done' with stopped: true)
//   { type: 'explore', id, values|text }  { type: 'explored', id, prediction, attention, words?, offset?, expected, truthPositions }
//   { type: 'save' }                      { type: 'saved', bytes, name }
//   { type: 'load', bytes, task,          { type: 'loaded', summary, params, task: {...}, sample }
//     taskOptions }
//   every failure:                        { type: 'error', during, id?, message }
import { init } from '../dist/index.js';
import { makeTask, head, row } from './tasks.mjs';

const EXAMPLES = 8;  // test rows drawn in the attention map
let aw = null;
let task = null;
let model = null;
let examples = null;  // fixed test batch: the map changes only because the model does
let controller = null;
let training = false;
let stopRequested = false;  // a Stop that arrives while the model is still being built

const post = (message, transfer = []) => self.postMessage(message, transfer);
// What the truth of an attention map depends on besides the data: a Conv1D front end.
const modelTraits = () => ({ conv: model.layers.some((layer) => layer.type === 'Conv1D') });

// The attention map the page draws: per position, for tasks whose layer attends from every
// position (self-attention), as the task reads it.
const attentionOf = (x) => (task.attentionOf ? task.attentionOf(model, x) : model.getAttention(x, { layer: 'attention' }));

// Errors are always shown by the page, with what was being done: never swallowed here.
const fail = (during, error, id) => post({ type: 'error', during, id, message: error?.message ?? String(error) });

function describeTask(t) {
  return {
    name: t.name, title: t.title, describe: t.describe, teaches: t.teaches, inputKind: t.inputKind,
    inputShape: t.inputShape, valueRange: t.valueRange ?? null, loss: t.loss, metric: t.metric,
    colLabels: t.colLabels, maxLen: t.maxLen ?? null,
    trainSize: t.data.xTrain.shape[0], testSize: t.data.xTest.shape[0],
  };
}

// The attention of the fixed example batch, with per-row truth (and words for text).
function attentionSnapshot() {
  const attention = attentionOf(examples.x);
  const truth = Array.from({ length: examples.x.shape[0] }, (_, i) => task.truth(row(examples.x, i), modelTraits(), i));
  const words = task.inputKind === 'text'
    ? Array.from({ length: examples.x.shape[0] }, (_, i) => task.wordsOf(row(examples.x, i))) : null;
  // Predictions next to the labels, so the page can mark each example right or wrong.
  const predictions = Array.from(model.predict(examples.x).data);
  const targets = Array.from(examples.y.data);
  return { attention, truth, words, predictions, targets };
}

async function train({ task: name, taskOptions, modelOptions, fitOptions }) {
  if (training) throw new Error('a training run is already going; stop it first');
  training = true;
  stopRequested = false;
  try {
    task = makeTask(name, taskOptions, aw);
    model?.dispose();
    model = null;
    model = task.build(aw, modelOptions);
    const shown = task.exampleCount ?? EXAMPLES;
    examples = { x: head(task.data.xTest, shown), y: head(task.data.yTest, shown) };
    post({ type: 'built', summary: model.summary(null), params: model.countParams(), task: describeTask(task),
           sample: Array.from(row(task.data.xTest, 0)) });
    // The map before any training, so "changes as it trains" has a starting point.
    post({ type: 'epoch', epoch: -1, logs: {}, ...attentionSnapshot() });

    controller = new AbortController();
    if (stopRequested) controller.abort();
    const total = task.data.xTrain.shape[0];
    const started = performance.now();
    let epochStarted = started;
    let lastPost = 0;
    const history = await model.fit(task.data.xTrain, task.data.yTrain, {
      ...fitOptions,
      ...(task.classWeight ? { classWeight: task.classWeight } : {}),
      validationData: [task.data.xTest, task.data.yTest],
      shuffle: true,
      signal: controller.signal,
      callbacks: {
        onBatchEnd(batch, logs, { samplesSeen }) {
          const t = performance.now();
          // Throttled: posting every small batch would flood the page for no visible gain.
          if (t - lastPost > 100) {
            lastPost = t;
            post({ type: 'progress', batch, seen: samplesSeen, total,
                   samplesPerSecond: samplesSeen / Math.max(1e-3, (t - epochStarted) / 1000), loss: logs.loss });
          }
        },
        onEpochEnd(epoch, logs) {
          const t = performance.now();
          post({ type: 'epoch', epoch, logs, seconds: (t - started) / 1000,
                 samplesPerSecond: total / Math.max(1e-3, (t - epochStarted) / 1000), ...attentionSnapshot() });
          epochStarted = performance.now();
        },
      },
    });
    // Real-data tasks measure whether the attention explains the model (erasure, fault location).
    const check = task.attentionCheck && !history.stopped ? task.attentionCheck(model) : null;
    post({ type: 'done', stopped: history.stopped || controller.signal.aborted, history: history.history, check });
  } finally {
    training = false;
    controller = null;
  }
}

function explore({ id, values, text }) {
  if (!model || !task) throw new Error('train a model (or import one) first');
  let x, words = null, offset = 0;
  if (task.inputKind === 'text') {
    if (typeof text !== 'string' || text.trim() === '') throw new Error('type a sentence');
    const encoded = task.encode(text);
    if (encoded.ids.length === 0) throw new Error('no words in that sentence');
    ({ x, words, offset } = encoded);
  } else {
    const size = task.inputShape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(values) || values.length !== size) {
      throw new Error(`this task needs ${size} values (shape ${task.inputShape.join(' x ')}), got ${values?.length ?? 0}`);
    }
    x = { data: Float32Array.from(values), shape: [1, ...task.inputShape] };
  }
  const prediction = model.predict(x);
  const attention = attentionOf(x);
  const flat = row(x, 0);
  post({ type: 'explored', id, prediction: Array.from(prediction.data), attention, words, offset,
         expected: task.target(flat), truthPositions: task.truth(flat, modelTraits()) });
}

// Imports a saved model for the selected task. The task's data is made from the same options
// (same seed, same data, and for text the same tokenizer) so the map and Explore work at once.
function load({ bytes, task: name, taskOptions }) {
  if (training) throw new Error('stop training before importing a model');
  const target = makeTask(name, taskOptions, aw);
  const loaded = aw.loadModel(new Uint8Array(bytes));
  // The file must fit the task: a model for another task would fail later, less clearly.
  try {
    const probe = head(target.data.xTest, 1);
    loaded.predict(probe);
    loaded.getAttention(probe, { layer: 'attention' });
  } catch (error) {
    loaded.dispose();
    throw new Error(`this model does not fit the '${target.title}' task with the current settings: ${error.message}`);
  }
  model?.dispose();
  model = loaded;
  task = target;
  examples = { x: head(task.data.xTest, task.exampleCount ?? EXAMPLES), y: head(task.data.yTest, task.exampleCount ?? EXAMPLES) };
  post({ type: 'loaded', summary: model.summary(null), params: model.countParams(), task: describeTask(task),
         sample: Array.from(row(task.data.xTest, 0)) });
  post({ type: 'epoch', epoch: -1, logs: {}, imported: true, ...attentionSnapshot() });
}

self.onmessage = async ({ data: message }) => {
  try {
    switch (message.type) {
      case 'init':
        aw = await init();
        post({ type: 'ready', version: aw.version, backend: aw.backend, threads: aw.threads });
        break;
      case 'train':
        await train(message);
        break;
      case 'stop':
        if (controller) controller.abort();
        else if (training) stopRequested = true;
        break;
      case 'explore':
        explore(message);
        break;
      case 'save': {
        if (!model) throw new Error('nothing to save yet: train a model first');
        const bytes = model.save();
        post({ type: 'saved', bytes, name: `attention-${task.name}.atwm` }, [bytes.buffer]);
        break;
      }
      case 'load':
        load(message);
        break;
      default:
        throw new Error(`unknown message '${message.type}'`);
    }
  } catch (error) {
    fail(message.type, error, message.id);
  }
};
