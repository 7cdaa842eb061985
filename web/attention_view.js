// The attention map of the fixed test batch, drawn with the package's viz entry.
import { renderHeatmap, highlightTokens } from 'attention-wasm/viz';
import { TASK_INFO, attentionRows } from './tasks.mjs';
import { $, digest, setStatus, state } from './page.js';

// ---- the attention map of the fixed test batch ---------------------------------------------------
export function drawAttention(m) {
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

export function drawSentences(m, rows) {
  const box = $('#sentences');
  box.replaceChildren();
  m.words.forEach((words, b) => {
    // Padding positions carry no word (and, masked, no weight): show only the sentence.
    const keep = words.flatMap((w, t) => (w ? [t] : []));
    const line = document.createElement('p');
    line.className = 'sentence';
    highlightTokens(line, keep.map((t) => words[t]), keep.map((t) => rows[b].weights[t]), { normalize: 'stretch' });
    const spans = line.querySelectorAll('.attention-token');
    keep.forEach((t, k) => { if (m.truth[b].includes(t)) spans[k].classList.add('key'); });
    const p = m.predictions[b];
    const verdict = document.createElement('span');
    const right = (p >= 0.5) === (m.targets[b] >= 0.5);
    verdict.className = `verdict ${right ? 'right' : 'wrong'}`;
    const [no, yes] = TASK_INFO[state.task].classNames ?? ['negative', 'positive'];
    verdict.textContent = `${p >= 0.5 ? yes : no} ${right ? '✓' : '✗'}`;
    verdict.title = `p(${yes}) = ${p.toFixed(3)}; label ${m.targets[b] >= 0.5 ? yes : no}`;
    line.appendChild(verdict);
    box.appendChild(line);
  });
}
