// The demo's task module (web/tasks.mjs) and the Node examples: data is deterministic and
// labelled as the task says, the CSV reader reports bad input with its line, and the examples
// run through the package's self-reference and learn attention where it belongs.
//   node --test tests/js/        (the examples need dist/ built: bash scripts/build.sh wasm)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

import { textCsv } from 'attention-wasm/data';

import { makeTask, labelledRows, row, builtInSentiment, toCsv, TASK_NAMES, TASK_INFO } from '../../web/tasks.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

test('same seed, same data; another seed, other data', () => {
  for (const name of ['dense', 'recurrent', 'add', 'max']) {
    const a = makeTask(name, { samples: 50, seed: 3 });
    const b = makeTask(name, { samples: 50, seed: 3 });
    const c = makeTask(name, { samples: 50, seed: 4 });
    assert.deepEqual(a.data.xTrain.data, b.data.xTrain.data, name);
    assert.notDeepEqual(a.data.xTrain.data, c.data.xTrain.data, name);
    assert.equal(a.data.xTrain.shape[0] + a.data.xTest.shape[0], 50);
  }
});

test('every task has its settings for the page', () => {
  for (const name of TASK_NAMES) assert.ok(TASK_INFO[name].title && TASK_INFO[name].defaults.epochs > 0, name);
});

test('add two numbers: truth is the two positions after the delimiters, target their mean', () => {
  const task = makeTask('add', { samples: 200, seed: 1 });
  const { xTrain, yTrain } = task.data;
  for (let i = 0; i < xTrain.shape[0]; i++) {
    const v = row(xTrain, i);
    const [a, b] = task.truth(v);
    assert.equal(task.truth(v).length, 2);
    assert.equal(v[a - 1], 0);
    assert.equal(v[b - 1], 0);
    assert.ok(Math.abs(yTrain.data[i] - (v[a] + v[b]) / 2) < 1e-6);
  }
});

test('find the max and the hello worlds: truth where the label lives', () => {
  const max = makeTask('max', { samples: 100 });
  for (let i = 0; i < 80; i++) {
    const v = row(max.data.xTrain, i);
    assert.equal(v[max.truth(v)[0]], Math.max(...v));
  }
  const dense = makeTask('dense', { samples: 100 });
  for (let i = 0; i < 80; i++) assert.equal(row(dense.data.xTrain, i)[1], dense.data.yTrain.data[i]);
  const rec = makeTask('recurrent', { samples: 100 });
  for (let i = 0; i < 80; i++) assert.deepEqual([...row(rec.data.xTrain, i).subarray(20, 22)], [rec.data.yTrain.data[i], rec.data.yTrain.data[i]]);
});

test('CSV: the library reads it (quotes, header, label spellings); the built-in set round-trips', () => {
  const rows = labelledRows(textCsv('text,label\n"so good, really",pos\n"a ""quoted"" word",negative\n' +
    Array.from({ length: 10 }, (_, i) => `line ${i},${i % 2}`).join('\r\n')));
  assert.equal(rows.length, 12);
  assert.deepEqual(rows[0], { text: 'so good, really', label: 1 });
  assert.deepEqual(rows[1], { text: 'a "quoted" word', label: 0 });
  const builtIn = builtInSentiment();
  assert.deepEqual(labelledRows(textCsv(toCsv(builtIn))), builtIn);
});

test('CSV: the demo\'s own checks (binary labels, enough rows of each) name what is wrong', () => {
  const ten = Array.from({ length: 10 }, (_, i) => `ok ${i},${i % 2}`).join('\n');
  const cases = [
    ['text,label\n' + ten + '\nmore,2\n', /CSV line 12: label 2 is not 0 or 1/],
    ['text,label\na,1\nb,0\n', /2 labelled rows is too few/],
    ['text,label\n' + Array.from({ length: 12 }, (_, i) => `t ${i},1`).join('\n'), /need at least 2 rows of each label, got 12 positive and 0 negative/],
  ];
  for (const [csv, message] of cases) assert.throws(() => labelledRows(textCsv(csv)), message, csv.slice(0, 30));
});

// Each example trains for real and prints how often the attention peaked where it should.
async function example(file, args, pattern) {
  const { stdout } = await run(process.execPath, [`examples/${file}`, ...args], { cwd: root, timeout: 120000 });
  const m = stdout.match(pattern);
  assert.ok(m, `${file} printed no result line:\n${stdout.slice(-500)}`);
  return Number(m[1]) / Number(m[2]);
}

test('Node examples: import the package by name and learn the attention', async () => {
  assert.ok(await example('dense-hello-world.mjs', ['--epochs', '5'], /peak at #1 in (\d+) of (\d+)/) > 0.6);
  assert.ok(await example('recurrent-hello-world.mjs', ['--epochs', '4', '--placement', 'after', '--singleVector', 'true'],
    /peak at step 10 in (\d+) of (\d+)/) > 0.8);
  assert.ok(await example('add-two-numbers.mjs', ['--epochs', '10'], /in (\d+) of (\d+) test sequences/) > 0.8);
  assert.ok(await example('find-max.mjs', ['--epochs', '20'], /peak on the maximum in (\d+) of (\d+)/) > 0.7);
});

test('recurrent task, CNN-LSTM-attention: a causal conv1D front end trains and the attention finds the step', async () => {
  const { aw } = await import('./support.mjs');
  const task = makeTask('recurrent', { samples: 1000, seed: 1 });
  const model = task.build(aw, { ...TASK_INFO.recurrent.defaults, conv: true, placement: 'after', seed: 1 });
  try {
    assert.deepEqual(model.layers.map((l) => l.type).slice(0, 3), ['InputLayer', 'Conv1D', 'LSTM']);
    const { xTrain, yTrain, xTest, yTest } = task.data;
    await model.fit(xTrain, yTrain, { epochs: 8, batchSize: 32, seed: 1 });
    const { accuracy } = model.evaluate(xTest, yTest);
    assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);
    // The label sits at step 10; a causal kernel of 3 carries it to steps 10-12 of the conv output.
    const attention = model.getAttention(xTest);
    const [batch, steps] = attention.shape;
    const perStep = new Float64Array(steps);
    const perRow = attention.data.length / (batch * steps);
    for (let i = 0; i < attention.data.length; i++) perStep[Math.floor(i / perRow) % steps] += attention.data[i];
    const peak = perStep.indexOf(Math.max(...perStep));
    assert.ok(peak >= 10 && peak <= 12, `attention peaks at step ${peak}: ${Array.from(perStep, (v) => v.toFixed(1))}`);
  } finally {
    model.dispose();
  }
});
