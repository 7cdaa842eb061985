// Files: export and import a model, export the attention map as PNG.
import { loadRealData, readSettings } from './controls.js';
import { $, clearError, showError, state, worker } from './page.js';

// ---- files ---------------------------------------------------------------------------------------
export function download(blob, name) {
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
  let data;
  try {
    data = await loadRealData(state.task);
  } catch (error) {
    showError('import', error.message);
    return;
  }
  worker.postMessage({ type: 'load', bytes, task: state.task, taskOptions: { ...settings.taskOptions, ...data } }, [bytes]);
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
