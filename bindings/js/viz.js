// attention-wasm/viz: draws attention weights for a web page (DOM only, no wasm). The demo page
// uses these same functions.
import { tensor } from './tensor.js';

// A perceptually ordered ramp (dark blue -> teal -> yellow), sampled at 5 stops.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

export function colorFor(value) {
  const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(v));
  const f = v - i;
  const c = RAMP[i].map((a, k) => Math.round(a + (RAMP[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function asMatrix(weights) {
  const t = tensor(weights, undefined, 'renderHeatmap');
  if (t.shape.length === 1) return { data: t.data, rows: 1, cols: t.shape[0] };
  if (t.shape.length !== 2) {
    throw new Error(`renderHeatmap: expected weights of shape (B, T) or (T, F), got (${t.shape.join(', ')})`);
  }
  return { data: t.data, rows: t.shape[0], cols: t.shape[1] };
}

function canvasIn(target) {
  if (typeof HTMLCanvasElement !== 'undefined' && target instanceof HTMLCanvasElement) return target;
  if (!target || typeof target.appendChild !== 'function') {
    throw new Error('renderHeatmap: expected a canvas or a DOM element to draw into');
  }
  let canvas = target.querySelector(':scope > canvas.attention-heatmap');
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.className = 'attention-heatmap';
    target.appendChild(canvas);
  }
  return canvas;
}

// A row's weights mapped to [0, 1] for drawing. 'stretch' runs from the row's smallest positive
// weight to its largest, so a faithful but flat map (tanh-bounded scores) becomes readable;
// zeros (masked steps) stay 0. Otherwise each weight over `scale`.
function shade(values, mode, scale) {
  if (mode === 'stretch') {
    let low = Infinity, high = 0;
    for (const v of values) if (v > 0 && Number.isFinite(v)) { low = Math.min(low, v); high = Math.max(high, v); }
    const span = high - low;
    return values.map((v) => (!(v > 0) ? 0 : span > 0 ? (v - low) / span : 1));
  }
  return values.map((v) => (scale > 0 && Number.isFinite(v) ? Math.max(0, v / scale) : 0));
}

// renderHeatmap(canvasOrElement, weights (B,T) | (T,F), { rowLabels, colLabels, truth, normalize,
//   cellSize, title }) -> the canvas. `truth`: per row, the column index (or indices) that should
// hold the attention; drawn as outlined cells. normalize: 'global' (default) | 'row' (each row by
// its largest) | 'stretch' (each row from its smallest positive weight to its largest) | 'none'.
export function renderHeatmap(target, weights, options = {}) {
  const { data, rows, cols } = asMatrix(weights);
  const canvas = canvasIn(target);
  const ctx = canvas.getContext('2d');
  const rowLabels = options.rowLabels ?? null;
  const colLabels = options.colLabels ?? null;
  const normalize = options.normalize ?? 'global';
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const labelWidth = rowLabels ? 48 : 0;
  const labelHeight = colLabels ? 18 : 0;
  const titleHeight = options.title ? 18 : 0;
  const available = (canvas.parentElement?.clientWidth || canvas.clientWidth || 480) - labelWidth;
  const cell = options.cellSize ?? Math.max(4, Math.min(32, Math.floor(available / Math.max(cols, 1))));
  const width = labelWidth + cell * cols;
  const height = titleHeight + labelHeight + cell * rows;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);

  let globalMax = 0;
  for (const v of data) if (Number.isFinite(v)) globalMax = Math.max(globalMax, v);
  const top = titleHeight + labelHeight;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(data.subarray ? data.subarray(r * cols, (r + 1) * cols) : data.slice(r * cols, (r + 1) * cols));
    const rowMax = Math.max(0, ...row.filter(Number.isFinite));
    const scale = normalize === 'none' ? 1 : normalize === 'row' ? rowMax : globalMax;
    const shades = shade(row, normalize, scale);
    for (let c = 0; c < cols; c++) {
      ctx.fillStyle = colorFor(shades[c]);
      ctx.fillRect(labelWidth + c * cell, top + r * cell, cell, cell);
    }
  }
  if (options.truth) {
    ctx.strokeStyle = '#ff3b30';
    ctx.lineWidth = Math.max(1, cell / 8);
    options.truth.forEach((cells, r) => {
      for (const c of [].concat(cells)) {
        if (Number.isInteger(c) && c >= 0 && c < cols && r < rows) {
          ctx.strokeRect(labelWidth + c * cell + 1, top + r * cell + 1, cell - 2, cell - 2);
        }
      }
    });
  }
  ctx.fillStyle = '#333';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  if (options.title) ctx.fillText(String(options.title), 0, titleHeight / 2);
  if (rowLabels) {
    ctx.textAlign = 'right';
    rowLabels.slice(0, rows).forEach((label, r) => ctx.fillText(String(label), labelWidth - 4, top + r * cell + cell / 2));
  }
  if (colLabels) {
    ctx.textAlign = 'center';
    const every = Math.max(1, Math.ceil(24 / cell));
    colLabels.slice(0, cols).forEach((label, c) => {
      if (c % every === 0) ctx.fillText(String(label), labelWidth + c * cell + cell / 2, titleHeight + labelHeight / 2);
    });
  }
  return canvas;
}

// highlightTokens(element, tokens, weights, { normalize }): one <span> per token, its background
// as strong as its weight relative to the largest ('max', default) or stretched from the smallest
// positive weight to the largest ('stretch'), the exact weight in the tooltip.
export function highlightTokens(element, tokens, weights, options = {}) {
  if (!element || typeof element.appendChild !== 'function') {
    throw new Error('highlightTokens: expected a DOM element to write into');
  }
  const values = weights && 'data' in weights ? Array.from(weights.data) : Array.from(weights ?? []);
  if (values.length !== tokens.length) {
    throw new Error(`highlightTokens: got ${tokens.length} tokens but ${values.length} weights`);
  }
  const normalize = options.normalize ?? 'max';
  if (normalize !== 'max' && normalize !== 'stretch') throw new Error(`highlightTokens: normalize must be 'max' or 'stretch', got '${normalize}'`);
  const strengths = shade(values, normalize, Math.max(1e-12, ...values.filter(Number.isFinite)));
  element.replaceChildren();
  tokens.forEach((token, i) => {
    const span = document.createElement('span');
    span.className = 'attention-token';
    span.textContent = String(token);
    const strength = strengths[i];
    span.style.backgroundColor = `rgba(255, 140, 0, ${(0.08 + 0.92 * strength).toFixed(3)})`;
    span.style.padding = '1px 3px';
    span.style.margin = '1px';
    span.style.borderRadius = '3px';
    span.title = `weight ${values[i].toFixed(4)}`;
    span.dataset.weight = String(values[i]);
    span.dataset.strength = strength.toFixed(4);
    element.appendChild(span);
    element.appendChild(document.createTextNode(' '));
  });
  return element;
}
