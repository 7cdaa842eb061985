// What every part of the demo page shares: the state, the status line and its test hooks,
// errors, and the worker it talks to.

export const $ = (selector) => document.querySelector(selector);
export const form = $('#controls');
export const status = $('#status');
export const exploreResult = $('#explore-result');

export const state = {
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
export function showError(during, message) {
  $('#error-title').textContent = during ? `Error (${during}):` : 'Error:';
  $('#error-message').textContent = message;
  $('#error').hidden = false;
  status.dataset.error = message;
}
export function clearError() {
  $('#error').hidden = true;
  delete status.dataset.error;
}
$('#error-close').addEventListener('click', clearError);
window.addEventListener('error', (e) => showError('page', e.message));
window.addEventListener('unhandledrejection', (e) => showError('page', e.reason?.message ?? String(e.reason)));

// ---- status line and test hooks (data-* attributes, so tests never read canvas pixels) ---------
export function setStatus(fields, text) {
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) delete status.dataset[key];
    else status.dataset[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (text !== undefined) status.textContent = text;
}

// A short fingerprint of an attention map: lets a test see that the map changed.
export function digest(data) {
  let h = 2166136261;
  for (const v of data) {
    h ^= Math.round(v * 1000);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16);
}

export const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2)) : String(v));

// The training worker: the page posts to it (controls, explore, files); app.js handles its replies.
export const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
