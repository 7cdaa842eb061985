// The demo page's main thread: controls, drawing and the test hooks. It never trains or predicts
// itself; web/worker.js does, through the package, so the page stays responsive. Attention is
// drawn with the package's own viz entry (renderHeatmap, highlightTokens).
import { renderHeatmap, highlightTokens } from 'attention-wasm/viz';
import uPlot from 'uplot';
import { TASK_INFO, TASK_NAMES, attentionRows, builtInSentiment, toCsv, parseLabelledCsv } from '../examples/tasks.mjs';

const $ = (selector) => document.querySelector(selector);
const form = $('#controls');
const status = $('#status');
const exploreResult = $('#explore-result');

const state = {
  task: null,          // name of the selected task
  meta: null,          // the worker's description of the task it built (shapes, labels)
  running: false,
  ready: false,
  epochs: 0,
  history: { epoch: [], loss: [], val_loss: [], accuracy: [], val_accuracy: [] },
  chart: null,
  csvRows: null,
  values: null,        // the input being explored (flat, row-major)
  exploreId: 0,
  hasModel: false,
  firstDigest: null,
};

// ---- errors: always shown, never swallowed -------------------------------------------------
function showError(during, message) {
  $('#error-title').textContent = during ? `Error (${during}):` : 'Error:';
  $('#error-message').textContent = message;
  $('#error').hidden = false;
  status.dataset.error = message;
}
function clearError() {
  $('#error').hidden = true;
  delete status.dataset.error;
}
$('#error-close').addEventListener('click', clearError);
window.addEventListener('error', (e) => showError('page', e.message));
window.addEventListener('unhandledrejection', (e) => showError('page', e.reason?.message ?? String(e.reason)));

// ---- status line and test hooks (data-* attributes, so tests never read canvas pixels) ---------
function setStatus(fields, text) {
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) delete status.dataset[key];
    else status.dataset[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (text !== undefined) status.textContent = text;
}

// A short fingerprint of an attention map: lets a test see that the map changed.
function digest(data) {
  let h = 2166136261;
  for (const v of data) {
    h ^= Math.round(v * 1000);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16);
}

// ---- the worker ------------------------------------------------------------------------------
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.addEventListener('error', (e) => {
  showError('worker', e.message || 'the training worker failed to load (is dist/ built? run: npm run demo)');
  if (state.running) finishRun('error');
  else if (!state.ready) setStatus({ state: 'error' }, 'The package could not be loaded.');
});
worker.addEventListener('messageerror', () => showError('worker', 'a message from the worker could not be read'));
worker.addEventListener('message', ({ data: m }) => handlers[m.type]?.(m));
worker.postMessage({ type: 'init' });

const handlers = {
  ready(m) {
    state.ready = true;
    $('#engine').textContent = `v${m.version} · ${m.backend}`;
    $('#start').disabled = false;
    setStatus({ state: 'idle' }, 'Ready. Choose a task and press Start.');
  },
  built(m) {
    state.meta = m.task;
    $('#summary').textContent = `${m.summary}\n`;
    $('#task-describe').textContent = m.task.describe;
    setStatus({ params: String(m.params) });
    setExploreInput(m.sample);
  },
  progress(m) {
    const done = state.history.epoch.length;
    $('#progress').value = (done + m.seen / m.total) / state.epochs;
    setStatus({ batch: String(m.batch) },
      `epoch ${done + 1}/${state.epochs} · batch loss ${fmt(m.loss)} · ${Math.round(m.samplesPerSecond)} samples/s`);
  },
  epoch(m) {
    if (m.epoch >= 0) recordEpoch(m);
    drawAttention(m);
    if (state.values || $('#sentence').value.trim()) explore();
  },
  done(m) {
    finishRun(m.stopped ? 'stopped' : 'done');
  },
  explored(m) {
    if (m.id !== state.exploreId) return;  // a newer edit is on its way
    exploreResult.dataset.id = String(m.id);
    drawExplore(m);
  },
  saved(m) {
    download(new Blob([m.bytes], { type: 'application/octet-stream' }), m.name);
  },
  loaded(m) {
    state.hasModel = true;
    state.meta = m.task;
    state.firstDigest = null;
    $('#summary').textContent = `${m.summary}\n`;
    $('#task-describe').textContent = m.task.describe;
    setStatus({ state: 'imported', params: String(m.params) }, `Imported a model with ${m.params} parameters.`);
    $('#export-model').disabled = false;
    if (!state.values) setExploreInput(m.sample);
    explore();
  },
  error(m) {
    if (m.during === 'explore') {
      if (m.id === state.exploreId) exploreError(m.message, m.id);
      return;
    }
    showError(m.during, m.message);
    if (m.during === 'train') finishRun('error');
    if (m.during === 'init') setStatus({ state: 'error' }, 'The package could not be loaded.');
  },
};

const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2)) : String(v));

// ---- tasks and controls ----------------------------------------------------------------------
const FIELDS_BY_TASK = {
  dense: ['units', 'samples'],
  recurrent: ['cell', 'units', 'placement', 'singleVector', 'samples'],
  add: ['cell', 'units', 'attentionType', 'score', 'samples'],
  max: ['cell', 'units', 'attentionType', 'score', 'samples'],
  text: ['cell', 'units', 'attentionType', 'score'],
};

// Shows the fields the selected task uses; the score only matters to the many-to-one layer.
function showFields() {
  const shown = FIELDS_BY_TASK[state.task];
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

function selectTask(name) {
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
  const text = name === 'text';
  $('#text-data').hidden = !text;
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

function readInt(name, min, max) {
  const value = Number(form.elements[name].value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got '${form.elements[name].value}'`);
  }
  return value;
}

function readSettings() {
  const lr = Number(form.elements.learningRate.value);
  if (!(lr > 0 && lr <= 1)) throw new Error(`learning rate must be a number in (0, 1], got '${form.elements.learningRate.value}'`);
  const seed = readInt('seed', 0, 2 ** 31 - 1);
  const shown = FIELDS_BY_TASK[state.task];
  const modelOptions = { cell: form.elements.cell.value, units: readInt('units', 1, 256), learningRate: lr, seed };
  if (shown.includes('placement')) modelOptions.placement = form.elements.placement.value;
  if (shown.includes('singleVector')) modelOptions.singleVector = form.elements.singleVector.checked;
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
  worker.postMessage({ type: 'train', task: state.task, ...settings });
});

$('#stop').addEventListener('click', () => {
  $('#stop').disabled = true;
  setStatus({ state: 'stopping' }, 'stopping after the current batch…');
  worker.postMessage({ type: 'stop' });
});

function finishRun(how) {
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
function checkCsv() {
  const box = $('#csv-status');
  try {
    const rows = parseLabelledCsv($('#csv-text').value);
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
function readCsv() {
  const { rows, error } = checkCsv();
  if (error) throw new Error(`your CSV: ${error.message}`);
  return rows;
}

// ---- the loss chart (uPlot) --------------------------------------------------------------------
function resetChart() {
  state.history = { epoch: [], loss: [], val_loss: [], accuracy: [], val_accuracy: [] };
  state.chart?.destroy();
  state.chart = null;
  $('#chart').replaceChildren();
}

function chartData() {
  const h = state.history;
  const series = [h.epoch, h.loss, h.val_loss];
  if (state.meta?.metric) series.push(h.accuracy, h.val_accuracy);
  return series;
}

function makeChart() {
  const withMetric = !!state.meta?.metric;
  const series = [
    { label: 'epoch' },
    { label: 'loss', stroke: '#d9480f', width: 2, value: (u, v) => (v == null ? '–' : fmt(v)) },
    { label: 'val loss', stroke: '#f59f00', width: 2, dash: [6, 4], value: (u, v) => (v == null ? '–' : fmt(v)) },
  ];
  const axes = [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100] }, { label: 'loss' }];  // whole epochs only
  const scales = { x: { time: false } };
  if (withMetric) {
    series.push({ label: 'accuracy', stroke: '#1c7ed6', width: 2, scale: 'acc' },
                { label: 'val accuracy', stroke: '#74c0fc', width: 2, dash: [6, 4], scale: 'acc' });
    axes.push({ side: 1, scale: 'acc', label: 'accuracy', grid: { show: false } });
    scales.acc = { range: [0, 1] };
  }
  const el = $('#chart');
  state.chart = new uPlot({ width: Math.max(240, el.clientWidth), height: 220, series, axes, scales }, chartData(), el);
}
new ResizeObserver(() => state.chart?.setSize({ width: Math.max(240, $('#chart').clientWidth), height: 220 }))
  .observe($('#chart'));

function recordEpoch(m) {
  const h = state.history;
  h.epoch.push(m.epoch + 1);
  for (const key of ['loss', 'val_loss', 'accuracy', 'val_accuracy']) h[key].push(m.logs[key] ?? null);
  if (!state.chart) makeChart();
  else state.chart.setData(chartData());
  const done = h.epoch.length;
  $('#progress').value = done / state.epochs;
  const metric = state.meta?.metric ? m.logs[state.meta.metric] : undefined;
  setStatus({ epoch: String(done), loss: String(m.logs.loss), firstLoss: String(h.loss[0]),
              valLoss: m.logs.val_loss === undefined ? null : String(m.logs.val_loss),
              metric: metric === undefined ? null : String(metric),
              samplesPerSecond: String(Math.round(m.samplesPerSecond)) },
    `epoch ${done}/${state.epochs} · loss ${fmt(m.logs.loss)}` +
    (m.logs.val_loss !== undefined ? ` · val loss ${fmt(m.logs.val_loss)}` : '') +
    (metric !== undefined ? ` · ${state.meta.metric} ${(metric * 100).toFixed(1)}%` : '') +
    ` · ${Math.round(m.samplesPerSecond)} samples/s`);
}

// ---- the attention map of the fixed test batch ---------------------------------------------------
function drawAttention(m) {
  const rows = attentionRows(m.attention);
  const B = rows.length;
  const T = rows[0]?.weights.length ?? 0;
  const matrix = new Float32Array(B * T);
  rows.forEach((r, b) => matrix.set(r.weights, b * T));
  const truth = m.truth.map((t) => (t.length ? t : null));
  renderHeatmap($('#heatmap'), { data: matrix, shape: [B, T] }, {
    truth, rowLabels: rows.map((_, b) => `#${b + 1}`), colLabels: state.meta?.colLabels ?? undefined,
    title: m.epoch < 0 ? (m.imported ? 'imported model' : 'before training') : `after epoch ${m.epoch + 1}`,
  });
  $('#export-png').disabled = false;
  const peaks = rows.map((r) => r.peak);
  const scored = rows.filter((r, b) => m.truth[b].length > 0);
  const hits = rows.filter((r, b) => m.truth[b].includes(r.peak)).length;
  const d = digest(matrix);
  if (state.firstDigest === null) state.firstDigest = d;
  setStatus({ attentionArgmax: peaks, attentionTruth: m.truth, attentionHits: scored.length ? `${hits}/${scored.length}` : null,
              attentionDigest: d, firstAttentionDigest: state.firstDigest });
  $('#attention-caption').textContent = scored.length
    ? `Rows: test inputs; columns: positions. Red outline: where the attention should go. Peak on target in ${hits} of ${scored.length} rows.`
    : 'Rows: test inputs; columns: positions.';
  if (m.words) drawSentences(m, rows);
}

function drawSentences(m, rows) {
  const box = $('#sentences');
  box.replaceChildren();
  m.words.forEach((words, b) => {
    // Padding positions carry no word (and, masked, no weight): show only the sentence.
    const keep = words.flatMap((w, t) => (w ? [t] : []));
    const line = document.createElement('p');
    line.className = 'sentence';
    highlightTokens(line, keep.map((t) => words[t]), keep.map((t) => rows[b].weights[t]));
    const spans = line.querySelectorAll('.attention-token');
    keep.forEach((t, k) => { if (m.truth[b].includes(t)) spans[k].classList.add('key'); });
    const p = m.predictions[b];
    const verdict = document.createElement('span');
    const right = (p >= 0.5) === (m.targets[b] >= 0.5);
    verdict.className = `verdict ${right ? 'right' : 'wrong'}`;
    verdict.textContent = `${p >= 0.5 ? 'positive' : 'negative'} ${right ? '✓' : '✗'}`;
    verdict.title = `p(positive) = ${p.toFixed(3)}; label ${m.targets[b] >= 0.5 ? 'positive' : 'negative'}`;
    line.appendChild(verdict);
    box.appendChild(line);
  });
}

// ---- explore: edit an input, see prediction + attention at once ---------------------------------
// The explore result carries data-request (the latest edit) and data-id (the edit it shows):
// equal means up to date, which is what tests wait for.
function exploreError(message, id = ++state.exploreId) {
  exploreResult.dataset.state = 'error';
  exploreResult.dataset.request = String(state.exploreId);
  exploreResult.dataset.id = String(id);
  exploreResult.textContent = message;
}

function explore() {
  if (!state.hasModel && !state.running) return;
  let message;
  if (state.task === 'text') {
    const text = $('#sentence').value;
    if (!text.trim()) return;
    message = { type: 'explore', text };
  } else if (state.values) {
    message = { type: 'explore', values: Array.from(state.values) };
  } else {
    return;  // nothing to explore yet
  }
  state.exploreId++;
  exploreResult.dataset.request = String(state.exploreId);
  worker.postMessage({ ...message, id: state.exploreId });
}

// rAF-coalesced, so a drag sends at most one request per frame.
let explorePending = false;
function exploreSoon() {
  if (explorePending) return;
  explorePending = true;
  requestAnimationFrame(() => { explorePending = false; explore(); });
}

function setExploreInput(sample) {
  if (state.meta.inputKind === 'text') {
    if (!$('#sentence').value) $('#sentence').value = 'honestly the concert felt wonderful to me';
    return;
  }
  state.values = Float32Array.from(sample);
  drawBars();
}

function shape2d() {
  const shape = state.meta.inputShape;
  return shape.length === 2 ? { T: shape[0], D: shape[1] } : { T: shape[0], D: 1 };
}

// One row of bars per feature (an SVG each, built once per input shape); dragging sets the value
// under the pointer. updateBars() only moves the rects, so a drag keeps its pointer capture.
function drawBars() {
  const box = $('#bars');
  const { T, D } = shape2d();
  box.replaceChildren();
  for (let d = 0; d < D; d++) {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${T} 100`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.classList.add('bar-row');
    svg.dataset.feature = String(d);
    for (let t = 0; t < T; t++) {
      const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      rect.setAttribute('x', String(t + 0.1));
      rect.setAttribute('width', '0.8');
      rect.dataset.index = String(t);
      svg.appendChild(rect);
    }
    svg.addEventListener('pointerdown', (e) => {
      svg.setPointerCapture(e.pointerId);
      setBarFromPointer(svg, d, e);
      e.preventDefault();
    });
    svg.addEventListener('pointermove', (e) => {
      if (svg.hasPointerCapture(e.pointerId)) setBarFromPointer(svg, d, e);
    });
    box.appendChild(svg);
  }
  updateBars();
}

function updateBars() {
  const { D } = shape2d();
  const [lo, hi] = state.meta.valueRange;
  const zero = 100 * (hi / (hi - lo));  // y of the value 0
  for (const svg of document.querySelectorAll('#bars svg')) {
    const d = Number(svg.dataset.feature);
    for (const rect of svg.children) {
      const v = state.values[Number(rect.dataset.index) * D + d];
      const y = 100 * ((hi - Math.min(hi, Math.max(lo, v))) / (hi - lo));
      rect.setAttribute('y', String(Math.min(y, zero)));
      rect.setAttribute('height', String(Math.max(0.5, Math.abs(zero - y))));
    }
  }
  $('#numbers').value = Array.from(state.values, (x) => +x.toFixed(2)).join(', ');
}

function setBarFromPointer(svg, d, e) {
  const { T, D } = shape2d();
  const [lo, hi] = state.meta.valueRange;
  const box = svg.getBoundingClientRect();
  const t = Math.min(T - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * T)));
  const frac = Math.min(1, Math.max(0, (e.clientY - box.top) / box.height));
  // Two decimals, and exactly 0 near it: 0 is the delimiter of "add two numbers".
  let v = Math.round((hi - frac * (hi - lo)) * 100) / 100;
  if (Math.abs(v) < 0.03) v = 0;
  state.values[t * D + d] = v;
  updateBars();
  exploreSoon();
}

$('#numbers-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!state.meta) {
    exploreError('Train a model first.');
    return;
  }
  const parts = $('#numbers').value.split(/[\s,;]+/).filter((p) => p !== '');
  const size = state.meta.inputShape.reduce((a, b) => a * b, 1);
  const bad = parts.find((p) => !Number.isFinite(Number(p)));
  if (bad !== undefined) {
    exploreError(`'${bad}' is not a number.`);
    return;
  }
  if (parts.length !== size) {
    exploreError(`This task needs ${size} values (shape ${state.meta.inputShape.join(' × ')}), you gave ${parts.length}.`);
    return;
  }
  state.values = Float32Array.from(parts, Number);
  updateBars();
  explore();
});

let typing = 0;
$('#sentence').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(explore, 120);
});
$('#sentence-form').addEventListener('submit', (e) => { e.preventDefault(); explore(); });

function drawExplore(m) {
  const rows = attentionRows(m.attention);
  const weights = rows[0].weights;
  const peak = rows[0].peak;
  if (m.words) {
    const own = m.words.map((_, i) => weights[m.offset + i]);
    highlightTokens($('#explore-tokens'), m.words, own);
    $('#explore-map').replaceChildren();
  } else if (m.attention.shape.length === 3 && m.attention.shape[2] > 1) {
    // (1, T, D): one heatmap row per feature, as the bars are laid out.
    const [, T, D] = m.attention.shape;
    const perFeature = new Float32Array(D * T);
    for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) perFeature[d * T + t] = m.attention.data[t * D + d];
    renderHeatmap($('#explore-map'), { data: perFeature, shape: [D, T] }, {
      truth: Array.from({ length: D }, () => m.truthPositions), rowLabels: Array.from({ length: D }, (_, d) => `f${d}`),
      colLabels: state.meta.colLabels ?? undefined });
  } else {
    renderHeatmap($('#explore-map'), { data: weights, shape: [1, weights.length] }, {
      truth: [m.truthPositions], colLabels: state.meta.colLabels ?? undefined });
  }
  const prediction = m.prediction[0];
  const where = m.words ? `the word '${m.words[peak - m.offset] ?? '(padding)'}'` : `position ${peak}`;
  const expectedWhere = m.truthPositions.length
    ? ` (expected ${m.words ? m.truthPositions.map((t) => `'${m.words[t - m.offset]}'`).join(' or ') : m.truthPositions.join(' or ')})` : '';
  const said = state.meta.inputKind === 'text'
    ? `${prediction >= 0.5 ? 'positive' : 'negative'} (p = ${prediction.toFixed(3)})` : prediction.toFixed(3);
  exploreResult.dataset.state = 'ok';
  exploreResult.dataset.argmax = String(peak);
  exploreResult.dataset.prediction = String(prediction);
  exploreResult.dataset.truth = JSON.stringify(m.truthPositions);
  exploreResult.textContent = `Model says ${said}` +
    (m.expected !== null && m.expected !== undefined ? `; the answer is ${m.expected.toFixed(3)}` : '') +
    `. Attention peaks at ${where}${expectedWhere}.`;
}

// ---- files ---------------------------------------------------------------------------------------
function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
$('#export-model').addEventListener('click', () => worker.postMessage({ type: 'save' }));
$('#import-model').addEventListener('change', async () => {
  const file = $('#import-model').files[0];
  $('#import-model').value = '';
  if (!file) return;
  if (state.running) { showError('import', 'stop training before importing a model'); return; }
  clearError();
  let settings;
  try {
    settings = readSettings();  // the data the model is shown on: same task and settings as it was trained with
  } catch (error) {
    showError('import', error.message);
    return;
  }
  const bytes = await file.arrayBuffer();
  worker.postMessage({ type: 'load', bytes, task: state.task, taskOptions: settings.taskOptions }, [bytes]);
});
$('#export-png').addEventListener('click', () => {
  const canvas = $('#heatmap canvas');
  if (!canvas) return;
  // On white: the heatmap canvas is transparent around its cells, unreadable in dark viewers.
  const flat = document.createElement('canvas');
  flat.width = canvas.width;
  flat.height = canvas.height;
  const ctx = flat.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, flat.width, flat.height);
  ctx.drawImage(canvas, 0, 0);
  flat.toBlob((blob) => download(blob, `attention-${state.task}.png`), 'image/png');
});

selectTask(TASK_NAMES.includes(new URL(location.href).searchParams.get('task')) ? new URL(location.href).searchParams.get('task') : 'max');
