// The task picker, the settings form, starting and stopping a run, and the sentiment CSV.
import { seriesCsv, textCsv } from 'attention-wasm/data';
import { SENSOR_WINDOWS } from './real_data.mjs';
import { TASK_INFO, TASK_NAMES, builtInSentiment, toCsv, labelledRows } from './tasks.mjs';
import { resetChart } from './chart.js';
import { download } from './files.js';
import { $, clearError, exploreResult, fmt, form, setStatus, showError, state, status, worker } from './page.js';

// ---- tasks and controls ----------------------------------------------------------------------
export const FIELDS_BY_TASK = {
  dense: ['units', 'samples'],
  recurrent: ['cell', 'units', 'placement', 'singleVector', 'conv', 'samples'],
  add: ['cell', 'units', 'attentionType', 'score', 'samples'],
  max: ['cell', 'units', 'attentionType', 'score', 'samples'],
  text: ['cell', 'units', 'attentionType', 'score'],
  spam: ['cell', 'units', 'attentionType', 'score'],
  sensor: ['cell', 'units', 'attentionType', 'score'],
};

// The real data sets, loaded once on the page (the worker cannot import the CSV reader by name)
// and handed to the worker with the task's options.
const realData = {};
export function loadRealData(name) {
  const file = (path) => fetch(new URL(`../build/data/${path}`, import.meta.url)).then((r) => {
    if (!r.ok) throw new Error(`build/data/${path}: HTTP ${r.status}; \`npm run demo\` prepares the real data sets`);
    return r;
  });
  if (name === 'spam') realData.spam ??= file('spam-demo.json').then((r) => r.json()).then((j) => ({ emails: j.emails }));
  if (name === 'sensor') realData.sensor ??= file('sensor.csv').then((r) => r.text()).then((text) => ({ windows: seriesCsv(text, SENSOR_WINDOWS) }));
  const pending = realData[name];
  pending?.catch(() => { delete realData[name]; });  // a failed load is tried again next time
  return pending ?? Promise.resolve({});
}

// Shows the fields the selected task uses; the score only matters to the many-to-one layer.
export function showFields() {
  const shown = FIELDS_BY_TASK[state.task];
  for (const option of form.querySelectorAll('option[data-only]')) option.hidden = option.dataset.only !== state.task;
  for (const label of form.querySelectorAll('[data-for]')) {
    const field = label.dataset.for;
    label.hidden = !shown.includes(field) || (field === 'score' && form.elements.attentionType.value !== 'attention');
  }
}
form.elements.attentionType.addEventListener('change', showFields);

for (const name of TASK_NAMES) {
  const tab = document.createElement('button');
  tab.type = 'button';
  tab.role = 'tab';
  tab.dataset.task = name;
  tab.textContent = TASK_INFO[name].title;
  tab.addEventListener('click', () => selectTask(name));
  $('#task-tabs').appendChild(tab);
}

export function selectTask(name) {
  if (state.running) return;
  state.task = name;
  state.meta = null;
  state.values = null;
  state.hasModel = false;
  const info = TASK_INFO[name];
  for (const tab of document.querySelectorAll('#task-tabs button')) tab.setAttribute('aria-selected', String(tab.dataset.task === name));
  $('#task-teaches').textContent = info.teaches;
  $('#task-describe').textContent = '';
  for (const [key, value] of Object.entries(info.defaults)) {
    const field = form.elements[key];
    if (!field) continue;
    if (field.type === 'checkbox') field.checked = !!value;
    else field.value = value;
  }
  showFields();
  $('#units-label').textContent = name === 'dense' ? 'hidden units' : 'units';
  const text = name === 'text' || name === 'spam';
  $('#text-data').hidden = name !== 'text';
  $('#attention-check').textContent = '';
  $('#sentences').hidden = !text;
  $('#bars').hidden = text;
  $('#numbers-form').hidden = text;
  $('#sentence-form').hidden = !text;
  $('#explore-tokens').hidden = !text;
  $('#explore-help').textContent = text ? 'Type a sentence: the words are shaded by the attention they get.'
    : 'Drag the bars (or type numbers and press Apply) and see what the model predicts and where it looks.';
  $('#heatmap').replaceChildren();
  $('#sentences').replaceChildren();
  $('#bars').replaceChildren();
  $('#explore-map').replaceChildren();
  $('#explore-tokens').replaceChildren();
  $('#numbers').value = '';
  $('#sentence').value = '';
  exploreResult.dataset.state = 'idle';
  exploreResult.textContent = 'Train a model to explore it.';
  $('#export-model').disabled = true;
  $('#export-png').disabled = true;
  resetChart();
  setStatus({ state: state.ready ? 'idle' : 'loading', task: name, epoch: null, loss: null, firstLoss: null, metric: null, attentionArgmax: null,
              attentionTruth: null, attentionHits: null, attentionDigest: null, firstAttentionDigest: null });
  const url = new URL(location.href);
  url.searchParams.set('task', name);
  history.replaceState(null, '', url);
}

export function readInt(name, min, max) {
  const value = Number(form.elements[name].value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got '${form.elements[name].value}'`);
  }
  return value;
}

export function readSettings() {
  const lr = Number(form.elements.learningRate.value);
  if (!(lr > 0 && lr <= 1)) throw new Error(`learning rate must be a number in (0, 1], got '${form.elements.learningRate.value}'`);
  const seed = readInt('seed', 0, 2 ** 31 - 1);
  const shown = FIELDS_BY_TASK[state.task];
  const modelOptions = { cell: form.elements.cell.value, units: readInt('units', 1, 256), learningRate: lr, seed };
  if (shown.includes('placement')) modelOptions.placement = form.elements.placement.value;
  if (shown.includes('singleVector')) modelOptions.singleVector = form.elements.singleVector.checked;
  if (shown.includes('conv')) modelOptions.conv = form.elements.conv.checked;
  if (shown.includes('attentionType')) modelOptions.attentionType = form.elements.attentionType.value;
  if (shown.includes('score')) modelOptions.score = form.elements.score.value;
  const taskOptions = { seed };
  if (shown.includes('samples')) taskOptions.samples = readInt('samples', 20, 100000);
  if (state.task === 'text' && document.querySelector('input[name=text-source]:checked').value === 'csv') {
    taskOptions.rows = readCsv();
  }
  const fitOptions = { epochs: readInt('epochs', 1, 500), batchSize: readInt('batchSize', 1, 4096), seed };
  return { taskOptions, modelOptions, fitOptions };
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.running || !state.ready) return;
  clearError();
  let settings;
  try {
    settings = readSettings();
  } catch (error) {
    showError('settings', error.message);
    return;
  }
  state.running = true;
  state.epochs = settings.fitOptions.epochs;
  state.firstDigest = null;
  resetChart();
  $('#progress').value = 0;
  $('#start').disabled = true;
  $('#stop').disabled = false;
  $('#export-model').disabled = true;
  for (const tab of document.querySelectorAll('#task-tabs button')) tab.disabled = true;
  setStatus({ state: 'training', epoch: '0', epochs: String(state.epochs), loss: null, firstLoss: null, metric: null,
              attentionArgmax: null, attentionHits: null, attentionDigest: null, firstAttentionDigest: null, samplesPerSecond: null },
            'building the model…');
  $('#attention-check').textContent = '';
  const task = state.task;
  loadRealData(task).then((data) => {
    worker.postMessage({ type: 'train', task, ...settings, taskOptions: { ...settings.taskOptions, ...data } });
  }, (error) => {
    showError('data', error.message);
    finishRun('error');
  });
});

$('#stop').addEventListener('click', () => {
  $('#stop').disabled = true;
  setStatus({ state: 'stopping' }, 'stopping after the current batch…');
  worker.postMessage({ type: 'stop' });
});

export function finishRun(how) {
  if (!state.running) return;
  state.running = false;
  $('#start').disabled = !state.ready;
  $('#stop').disabled = true;
  for (const tab of document.querySelectorAll('#task-tabs button')) tab.disabled = false;
  if (how !== 'error') {
    state.hasModel = true;
    $('#export-model').disabled = false;
  }
  const done = state.history.epoch.length;
  const last = done ? state.history.loss[done - 1] : NaN;
  const words = { done: 'Finished', stopped: 'Stopped', error: 'Failed' }[how];
  const speed = status.dataset.samplesPerSecond ? ` · ${status.dataset.samplesPerSecond} samples/s` : '';
  setStatus({ state: how }, `${words} after ${done}/${state.epochs} epochs${done ? ` · loss ${fmt(last)}${speed}` : ''}.`);
}

// ---- the built-in sentences / the visitor's CSV ----------------------------------------------
for (const radio of document.querySelectorAll('input[name=text-source]')) {
  radio.addEventListener('change', () => { $('#csv-box').hidden = radio.value !== 'csv' || !radio.checked; });
}
$('#csv-example').addEventListener('click', (e) => {
  e.preventDefault();
  download(new Blob([toCsv(builtInSentiment())], { type: 'text/csv' }), 'sentiment-example.csv');
});
$('#csv-file').addEventListener('change', async () => {
  const file = $('#csv-file').files[0];
  if (!file) return;
  $('#csv-text').value = await file.text();
  checkCsv();
});
$('#csv-text').addEventListener('input', () => checkCsv());

// Parses the CSV box and says right under it what it found or what is wrong (with the line).
// Returns { rows } or { error }: typing half a CSV is normal, not an exception.
export function checkCsv() {
  const box = $('#csv-status');
  try {
    const rows = labelledRows(textCsv($('#csv-text').value));
    const positives = rows.filter((r) => r.label === 1).length;
    box.textContent = `${rows.length} sentences: ${positives} positive, ${rows.length - positives} negative.`;
    box.dataset.state = 'ok';
    box.classList.remove('error');
    return { rows };
  } catch (error) {
    box.textContent = error.message;
    box.dataset.state = 'error';
    box.classList.add('error');
    return { error };
  }
}
export function readCsv() {
  const { rows, error } = checkCsv();
  if (error) throw new Error(`your CSV: ${error.message}`);
  return rows;
}
