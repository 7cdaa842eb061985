// The loss chart (uPlot), one point per epoch.
import uPlot from 'uplot';
import { $, fmt, setStatus, state } from './page.js';

// ---- the loss chart (uPlot) --------------------------------------------------------------------
export function resetChart() {
  state.history = { epoch: [], loss: [], val_loss: [], accuracy: [], val_accuracy: [] };
  state.chart?.destroy();
  state.chart = null;
  $('#chart').replaceChildren();
}

export function chartData() {
  const h = state.history;
  const series = [h.epoch, h.loss, h.val_loss];
  if (state.meta?.metric) series.push(h.accuracy, h.val_accuracy);
  return series;
}

export function makeChart() {
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

export function recordEpoch(m) {
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
