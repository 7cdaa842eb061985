// attention-wasm/data: textCsv and seriesCsv on small CSVs (every error with its line) and on the
// real sensor file that scripts/prepare-data.mjs puts in build/data/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { seriesCsv, textCsv } from 'attention-wasm/data';

test('textCsv: header names or indices, quoted commas and quotes, label words and numbers', () => {
  const csv = 'id,body,label\n1,"so good, really",pos\n2,"a ""quoted"" word",negative\n3,plain,1\n4,"two\nlines",spam\n';
  const { texts, labels, lines } = textCsv(csv, { textColumn: 'body' });
  assert.deepEqual(texts, ['so good, really', 'a "quoted" word', 'plain', 'two\nlines']);
  assert.deepEqual(Array.from(labels), [1, 0, 1, 1]);
  assert.deepEqual(lines, [2, 3, 4, 6]);  // the line a record ends on
  assert.deepEqual(textCsv(csv, { textColumn: 1, labelColumn: 2 }).texts, texts);
});

test('textCsv errors name the line and what was expected', () => {
  const cases = [
    ['text,label\nnice one,1\n"broken, quote,0\n', /textCsv: Quote Not Closed.*line 3/],
    ['text,label\nnice one,1\nbad one,maybe\n', /textCsv: line 3: label 'maybe' is not a number/],
    ['text,label\nnice one,1,extra\n', /textCsv: Invalid Record Length: expect 2, got 3 on line 2/],
    ['words,label\nnice,1\n', /textCsv: no text column 'text' in the header \(words, label\)/],
    ['text,label\n ,1\n', /textCsv: line 2: empty text/],
    ['text,label\n', /textCsv: expected a header row and data rows/],
  ];
  for (const [csv, message] of cases) assert.throws(() => textCsv(csv), message, csv);
});

test('seriesCsv: windows per group, never across groups; labels per window and step; robust scale', () => {
  const rows = ['t,mote,value,label'];
  for (let i = 0; i < 6; i++) rows.push(`${i},a,${10 + i},${i === 4 ? 1 : 0}`);
  for (let i = 0; i < 5; i++) rows.push(`${i},b,${100 + 2 * i},0`);
  const w = seriesCsv(rows.join('\n'), { window: 3, stride: 2, groupColumn: 'mote', featureColumns: ['value'] });
  // group a: starts 0, 2 (6 readings); group b: starts 0, 2 (5 readings).
  assert.deepEqual(w.windows, [{ group: 'a', start: 0 }, { group: 'a', start: 2 }, { group: 'b', start: 0 }, { group: 'b', start: 2 }]);
  assert.deepEqual(w.x.shape, [4, 3, 1]);
  assert.deepEqual(Array.from(w.y.data), [0, 1, 0, 0]);
  assert.deepEqual(Array.from(w.stepLabels.data.slice(3, 6)), [0, 0, 1]);
  // Group a: median 12.5, IQR 2.5 -> reading 10 is -1; group b: median 104, IQR 4 -> 100 is -1.
  assert.ok(Math.abs(w.x.data[0] + 1) < 1e-6 && Math.abs(w.x.data[6] + 1) < 1e-6, Array.from(w.x.data).join(' '));
  assert.deepEqual(w.featureColumns, ['value']);
  const raw = seriesCsv(rows.join('\n'), { window: 3, groupColumn: 'mote', featureColumns: ['value'], scale: 'none' });
  assert.equal(raw.x.data[0], 10);
  assert.equal(raw.windows.length, 4 + 3);
});

test('seriesCsv errors', () => {
  const csv = 'a,label\n1,0\nx,1\n';
  assert.throws(() => seriesCsv(csv, { window: 1 }), /seriesCsv: line 3: a 'x' is not a number/);
  assert.throws(() => seriesCsv('a,label\n1,0\n', { window: 2 }), /no series is as long as the window \(2 steps\)/);
  assert.throws(() => seriesCsv('a,label\n1,0\n', {}), /option 'window' must be a positive integer/);
  assert.throws(() => seriesCsv('a,label\n1,0\n', { window: 1, scale: 'zscore' }), /option 'scale' must be 'robust' or 'none'/);
  assert.throws(() => seriesCsv('a,label\n1,0\n', { window: 1, groupColumn: 'mote' }), /no group column 'mote'/);
});

test('seriesCsv on the real sensor readings: the two labelled fault events, on motes 1 and 4', () => {
  const text = readFileSync(new URL('../../build/data/sensor.csv', import.meta.url), 'utf8');
  const w = seriesCsv(text, { window: 32, stride: 4, groupColumn: 'mote_id', featureColumns: ['humidity', 'temperature'] });
  const faultyWindows = new Map();
  w.windows.forEach((win, i) => { if (w.y.data[i]) faultyWindows.set(win.group, (faultyWindows.get(win.group) ?? 0) + 1); });
  assert.deepEqual([...faultyWindows.keys()].sort(), ['1', '4']);
  assert.equal(w.x.shape[2], 2);
});
