// The demo page's main thread: controls, drawing and the test hooks. It never trains or predicts
// itself; web/worker.js does, through the package, so the page stays responsive. Attention is
// drawn with the package's own viz entry (renderHeatmap, highlightTokens).
// This file wires the worker's replies to the parts of the page (page.js, controls.js, chart.js,
// attention_view.js, explore.js, files.js).
import { TASK_NAMES } from './tasks.mjs';
import { drawAttention } from './attention_view.js';
import { recordEpoch } from './chart.js';
import { finishRun, selectTask } from './controls.js';
import { drawExplore, explore, exploreError, setExploreInput } from './explore.js';
import { download } from './files.js';
import './keras_model.js';
import { $, exploreResult, fmt, setStatus, showError, state, worker } from './page.js';

// ---- the worker ------------------------------------------------------------------------------
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
    $('#engine').textContent = `v${m.version} · ${m.backend} · ${m.threads} thread${m.threads === 1 ? '' : 's'}`;
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
    // The real-data tasks' measure of the attention (erasure test, fault location), under the map.
    $('#attention-check').textContent = m.check ? m.check.text : '';
    setStatus(m.check ? { [m.check.name]: m.check.value.toFixed(4) } : {});
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


selectTask(TASK_NAMES.includes(new URL(location.href).searchParams.get('task')) ? new URL(location.href).searchParams.get('task') : 'max');
