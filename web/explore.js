// Explore: edit an input (bars or a sentence) and see the prediction and attention at once.
import { renderHeatmap, highlightTokens } from 'attention-wasm/viz';
import { TASK_INFO, attentionRows } from './tasks.mjs';
import { $, exploreResult, state, worker } from './page.js';

// ---- explore: edit an input, see prediction + attention at once ---------------------------------
// The explore result carries data-request (the latest edit) and data-id (the edit it shows):
// equal means up to date, which is what tests wait for.
export function exploreError(message, id = ++state.exploreId) {
  exploreResult.dataset.state = 'error';
  exploreResult.dataset.request = String(state.exploreId);
  exploreResult.dataset.id = String(id);
  exploreResult.textContent = message;
}

export function explore() {
  if (!state.hasModel && !state.running) return;
  let message;
  if (state.task === 'text' || state.task === 'spam') {
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
export let explorePending = false;
export function exploreSoon() {
  if (explorePending) return;
  explorePending = true;
  requestAnimationFrame(() => { explorePending = false; explore(); });
}

export function setExploreInput(sample) {
  if (state.meta.inputKind === 'text') {
    if (!$('#sentence').value) $('#sentence').value = TASK_INFO[state.task].exampleText;
    return;
  }
  state.values = Float32Array.from(sample);
  drawBars();
}

export function shape2d() {
  const shape = state.meta.inputShape;
  return shape.length === 2 ? { T: shape[0], D: shape[1] } : { T: shape[0], D: 1 };
}

// One row of bars per feature (an SVG each, built once per input shape); dragging sets the value
// under the pointer. updateBars() only moves the rects, so a drag keeps its pointer capture.
export function drawBars() {
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

export function updateBars() {
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

export function setBarFromPointer(svg, d, e) {
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

export let typing = 0;
$('#sentence').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(explore, 120);
});
$('#sentence-form').addEventListener('submit', (e) => { e.preventDefault(); explore(); });

export function drawExplore(m) {
  const rows = attentionRows(m.attention);
  const weights = rows[0].weights;
  const peak = rows[0].peak;
  if (m.words) {
    const own = m.words.map((_, i) => weights[m.offset + i]);
    highlightTokens($('#explore-tokens'), m.words, own, { normalize: 'stretch' });
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
  const [no, yes] = TASK_INFO[state.task].classNames ?? ['negative', 'positive'];
  const said = state.meta.inputKind === 'text' ? `${prediction >= 0.5 ? yes : no} (p = ${prediction.toFixed(3)})` : prediction.toFixed(3);
  exploreResult.dataset.state = 'ok';
  exploreResult.dataset.argmax = String(peak);
  exploreResult.dataset.prediction = String(prediction);
  exploreResult.dataset.truth = JSON.stringify(m.truthPositions);
  exploreResult.textContent = `Model says ${said}` +
    (m.expected !== null && m.expected !== undefined ? `; the answer is ${m.expected.toFixed(3)}` : '') +
    `. Attention peaks at ${where}${expectedWhere}.`;
}
