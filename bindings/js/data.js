// attention-wasm/data: CSV files into the library's inputs. The CSV itself is read by csv-parse
// (its browser ESM build, which also runs in Node; ~26 kB gzipped), kept out of the main bundle:
//   textCsv(text, options)    a text column and a label column -> { texts, labels }
//   seriesCsv(text, options)  numeric readings with a label column -> windows (N, window, F), one
//                             label per window and per step, scaled per group
// Every malformed row is reported with its line, naming the column and what was expected.
import { parse } from 'csv-parse/browser/esm/sync';

const LABEL_WORDS = { neg: 0, pos: 1, negative: 0, positive: 1, false: 0, true: 1, ham: 0, spam: 1, no: 0, yes: 1 };

function records(text, entry) {
  if (typeof text !== 'string') throw new Error(`${entry}: expected the CSV as text`);
  try {
    return parse(text.replace(/^\uFEFF/, ''), { columns: false, skip_empty_lines: true, relax_column_count: false, info: true });
  } catch (error) {
    throw new Error(`${entry}: ${error.message}`);
  }
}

// The column index of `wanted` (a header name or an index), from the header row.
function columnIndex(header, wanted, role, entry) {
  if (Number.isInteger(wanted)) {
    if (wanted < 0 || wanted >= header.length) throw new Error(`${entry}: ${role} column ${wanted} is outside the ${header.length} columns`);
    return wanted;
  }
  const at = header.findIndex((h) => h.trim().toLowerCase() === String(wanted).toLowerCase());
  if (at < 0) throw new Error(`${entry}: no ${role} column '${wanted}' in the header (${header.join(', ')})`);
  return at;
}

function labelOf(value, line, entry) {
  const word = value.trim().toLowerCase();
  if (word in LABEL_WORDS) return LABEL_WORDS[word];
  const number = Number(word);
  if (word !== '' && Number.isFinite(number)) return number;
  throw new Error(`${entry}: line ${line}: label '${value.trim()}' is not a number or one of 0/1, neg/pos, ham/spam, false/true`);
}

// { texts: string[], labels: Float32Array, lines: number[] }. The first row is the header;
// textColumn / labelColumn are its names (default 'text' and 'label') or column indices.
export function textCsv(text, { textColumn = 'text', labelColumn = 'label' } = {}) {
  const entry = 'textCsv';
  const rows = records(text, entry);
  if (rows.length < 2) throw new Error(`${entry}: expected a header row and data rows, got ${rows.length} row(s)`);
  const header = rows[0].record;
  const textAt = columnIndex(header, textColumn, 'text', entry);
  const labelAt = columnIndex(header, labelColumn, 'label', entry);
  const texts = [], labels = [], lines = [];
  for (const { record, info } of rows.slice(1)) {
    const line = info.lines;
    const body = record[textAt].trim();
    if (body === '') throw new Error(`${entry}: line ${line}: empty text`);
    texts.push(body);
    labels.push(labelOf(record[labelAt], line, entry));
    lines.push(line);
  }
  return { texts, labels: Float32Array.from(labels), lines };
}

function quantile(sorted, q) {
  const at = (sorted.length - 1) * q, low = Math.floor(at), high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

// Readings -> windows. Options: featureColumns (names or indices; default every column but the
// label and group ones), labelColumn ('label'), groupColumn (null: one series; else a series per
// value, in file order, never mixed in a window), window (steps, required), stride (1),
// scale ('robust': (v - median) / IQR per group and feature, so one sensor's offset and a fault's
// outliers do not set the scale; 'none').
// Returns { x: (N, window, F), y: (N, 1) (1 when any step of the window is labelled), stepLabels:
// (N, window), windows: [{group, start}] (start: index within the group), featureColumns }.
export function seriesCsv(text, options = {}) {
  const entry = 'seriesCsv';
  const { labelColumn = 'label', groupColumn = null, stride = 1, scale = 'robust' } = options;
  const window = options.window;
  if (!Number.isInteger(window) || window < 1) throw new Error(`${entry}: option 'window' must be a positive integer, got ${window}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${entry}: option 'stride' must be a positive integer, got ${stride}`);
  if (scale !== 'robust' && scale !== 'none') throw new Error(`${entry}: option 'scale' must be 'robust' or 'none', got '${scale}'`);
  const rows = records(text, entry);
  if (rows.length < 2) throw new Error(`${entry}: expected a header row and data rows, got ${rows.length} row(s)`);
  const header = rows[0].record;
  const labelAt = columnIndex(header, labelColumn, 'label', entry);
  const groupAt = groupColumn === null ? -1 : columnIndex(header, groupColumn, 'group', entry);
  const featureAt = (options.featureColumns ?? header.map((_, i) => i).filter((i) => i !== labelAt && i !== groupAt))
    .map((c) => columnIndex(header, c, 'feature', entry));
  if (featureAt.length === 0) throw new Error(`${entry}: no feature columns`);
  const F = featureAt.length;
  // Series per group, in file order.
  const series = new Map();
  for (const { record, info } of rows.slice(1)) {
    const values = featureAt.map((c) => {
      const v = Number(record[c].trim());
      if (record[c].trim() === '' || !Number.isFinite(v)) {
        throw new Error(`${entry}: line ${info.lines}: ${header[c]} '${record[c]}' is not a number`);
      }
      return v;
    });
    const group = groupAt < 0 ? '' : record[groupAt].trim();
    if (!series.has(group)) series.set(group, { values: [], labels: [] });
    const s = series.get(group);
    s.values.push(values);
    s.labels.push(labelOf(record[labelAt], info.lines, entry) > 0 ? 1 : 0);
  }
  const windows = [];
  const x = [], y = [], stepLabels = [];
  for (const [group, s] of series) {
    const n = s.values.length;
    if (scale === 'robust') {
      for (let f = 0; f < F; f++) {
        const sorted = s.values.map((v) => v[f]).sort((a, b) => a - b);
        const median = quantile(sorted, 0.5), iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25) || 1;
        for (const v of s.values) v[f] = (v[f] - median) / iqr;
      }
    }
    for (let start = 0; start + window <= n; start += stride) {
      let any = 0;
      for (let t = 0; t < window; t++) {
        x.push(...s.values[start + t]);
        stepLabels.push(s.labels[start + t]);
        any |= s.labels[start + t];
      }
      y.push(any);
      windows.push({ group, start });
    }
  }
  if (windows.length === 0) throw new Error(`${entry}: no series is as long as the window (${window} steps)`);
  const N = windows.length;
  return {
    x: { data: Float32Array.from(x), shape: [N, window, F] },
    y: { data: Float32Array.from(y), shape: [N, 1] },
    stepLabels: { data: Float32Array.from(stepLabels), shape: [N, window] },
    windows,
    featureColumns: featureAt.map((c) => header[c]),
  };
}
