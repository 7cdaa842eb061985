// End-to-end test of the demo page (web/) in headless Chromium: every task trains in the
// worker, its loss falls and its attention map moves to where the task says it should; an edited
// input moves the attention; Stop ends a run early; bad input is reported; export/import round
// trips. Reads the page's data-* test hooks, never canvas pixels. Screenshots: test-output/e2e/.
//   node --test tests/e2e/        (needs dist/ built: bash scripts/build.sh wasm)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}test-output/e2e/`;
let server, browser, page, base;
const pageErrors = [];

before(async () => {
  await stat(`${root}dist/attention_wasm.wasm`).catch(() => {
    throw new Error('dist/ is not built: run `bash scripts/build.sh wasm` first');
  });
  await mkdir(out, { recursive: true });
  server = await startServer(0);
  base = `http://127.0.0.1:${server.address().port}/web/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
  await page.goto(base);
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'idle', null, { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const hooks = () => page.evaluate(() => ({ ...document.querySelector('#status').dataset }));
const explored = () => page.evaluate(() => ({ ...document.querySelector('#explore-result').dataset,
                                             text: document.querySelector('#explore-result').textContent }));

async function configure(task, settings) {
  await page.click(`#task-tabs button[data-task="${task}"]`);
  for (const [name, value] of Object.entries(settings)) {
    const field = page.locator(`#controls [name="${name}"]`);
    if (typeof value === 'boolean') await field.setChecked(value);
    else if (await field.evaluate((el) => el.tagName === 'SELECT')) await field.selectOption(String(value));
    else await field.fill(String(value));
  }
}

// Starts a run and waits until it has ended; returns the final hooks.
async function train(timeout = 90000) {
  await page.click('#start');
  await page.waitForFunction(() => ['done', 'stopped', 'error'].includes(document.querySelector('#status').dataset.state),
    null, { timeout });
  const h = await hooks();
  assert.equal(h.state, 'done', `training ended as '${h.state}': ${h.error ?? ''}`);
  return h;
}

// The learning checks every task shares: loss fell, the map changed, and peaks sit on the truth.
function assertLearned(h, { lossRatio, minHits }) {
  const first = Number(h.firstLoss), last = Number(h.loss);
  assert.ok(Number.isFinite(first) && Number.isFinite(last), `losses are numbers: ${h.firstLoss} -> ${h.loss}`);
  assert.ok(last < first * lossRatio, `loss should fall below ${lossRatio} x the first epoch's: ${first} -> ${last}`);
  assert.notEqual(h.attentionDigest, h.firstAttentionDigest, 'the attention map should change during training');
  const [hits, rows] = h.attentionHits.split('/').map(Number);
  assert.ok(hits >= minHits, `attention should peak on the truth in >= ${minHits}/${rows} rows, got ${h.attentionHits} ` +
    `(peaks ${h.attentionArgmax}, truth ${h.attentionTruth})`);
}

// Waits until the explore panel shows the answer to the latest edit made after `since`.
async function exploreSettled(since) {
  await page.waitForFunction((n) => {
    const r = document.querySelector('#explore-result').dataset;
    return Number(r.request) > n && r.id === r.request;
  }, since, { timeout: 10000 });
  return explored();
}
const exploreRequest = () => page.evaluate(() => Number(document.querySelector('#explore-result').dataset.request ?? 0));

async function exploreNumbers(values) {
  const since = await exploreRequest();
  await page.fill('#numbers', values.join(', '));
  await page.click('#numbers-form button');
  return exploreSettled(since);
}

// The demo server sends COOP/COEP: the page is cross-origin isolated, so its worker trains on
// the threaded module, one thread per core up to 4, relaxed SIMD (Chromium validates it), and
// the page says so.
test('the page loads the package in the worker, on every core the page may use', async () => {
  const engine = await page.textContent('#engine');
  const { isolated, cores } = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  assert.equal(isolated, true);
  const threads = Math.min(cores, 4);
  assert.equal(engine.replace(/^v\d+\.\d+\.\d+ · /, ''),
    threads > 1 ? `wasm-relaxed-simd-threads · ${threads} threads` : 'wasm-relaxed-simd · 1 thread');
  assert.deepEqual(pageErrors, []);
});

// Seed 1 (the page's default): training is deterministic, and this run locks on by epoch ~16.
const MAX_SETTINGS = { cell: 'lstm', units: 16, score: 'luong', epochs: 20, batchSize: 16, learningRate: 0.02, samples: 2000, seed: 1 };

test('find the max: learns, attention points at the max, editing the input moves it', async () => {
  await configure('max', MAX_SETTINGS);
  const h = await train();
  assertLearned(h, { lossRatio: 0.5, minHits: 6 });
  await page.screenshot({ path: `${out}find-max.png`, fullPage: true });

  // Typed input: the maximum at position 2, then at position 7.
  const low = [0.1, 0.2, 0.15, 0.3, 0.05, 0.25, 0.2, 0.1, 0.3, 0.15];
  let e = await exploreNumbers(low.map((v, i) => (i === 2 ? 0.95 : v)));
  assert.equal(e.state, 'ok', e.text);
  assert.equal(e.argmax, '2', `attention should follow the max to 2: ${e.text}`);
  e = await exploreNumbers(low.map((v, i) => (i === 7 ? 0.95 : v)));
  assert.equal(e.argmax, '7', `attention should follow the max to 7: ${e.text}`);

  // Drawn input: drag bar 4 to the top.
  const box = await page.locator('#bars svg').first().boundingBox();
  const x = box.x + (4.5 / 10) * box.width;
  await page.mouse.move(x, box.y + box.height - 2);
  await page.mouse.down();
  await page.mouse.move(x, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(x, box.y - 10, { steps: 4 });  // past the top: clamped to the maximum
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('#explore-result').dataset.argmax === '4', null, { timeout: 10000 })
    .catch(async () => assert.fail(`dragging bar 4 up should move the attention there: ${(await explored()).text}`));
  assert.match(await page.inputValue('#numbers'), /^0\.1, 0\.2, 0\.15, 0\.3, 1, /, 'the drag should set value 4 to the top');

  // Wrong length and non-numbers are reported, not sent.
  e = await exploreNumbers([0.1, 0.2, 0.3]);
  assert.equal(e.state, 'error');
  assert.match(e.text, /needs 10 values.*gave 3/);
  e = await exploreNumbers(['0.1', 'abc', ...low.slice(2)]);
  assert.match(e.text, /'abc' is not a number/);
});

test('find the max: the model exports, imports with the same answers, and the heatmap exports as PNG', async () => {
  const probe = [0.1, 0.2, 0.15, 0.3, 0.05, 0.25, 0.2, 0.9, 0.3, 0.15];
  const before2 = await exploreNumbers(probe);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-model')]);
  assert.match(download.suggestedFilename(), /\.atwm$/);
  const file = `${out}find-max.atwm`;
  await download.saveAs(file);
  assert.ok((await stat(file)).size > 100, 'the exported model is not empty');

  // Into a fresh page, as a visitor coming back with the file would.
  await page.goto(`${base}?task=max`);
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'idle', null, { timeout: 30000 });
  await configure('max', MAX_SETTINGS);
  await page.setInputFiles('#import-model', file);
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'imported', null, { timeout: 10000 });
  const after2 = await exploreNumbers(probe);
  assert.equal(after2.prediction, before2.prediction, 'the imported model predicts exactly as the exported one');
  assert.equal(after2.argmax, before2.argmax);

  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  await png.saveAs(`${out}heatmap.png`);
  const bytes = await readFile(`${out}heatmap.png`);
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');

  // A file that is not a model is refused with the package's message, shown to the visitor.
  await page.setInputFiles('#import-model', { name: 'junk.atwm', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
  await page.waitForFunction(() => !document.querySelector('#error').hidden, null, { timeout: 10000 });
  // The package's own message reaches the visitor unchanged (not a generic "failed").
  assert.match(await page.textContent('#error'), /Error \(load\):\s*loadModel: \S/);
  await page.click('#error-close');
});

test('stop ends a training run mid-way, and the page stays responsive meanwhile', async () => {
  await configure('max', { epochs: 300, batchSize: 16, samples: 2000 });
  await page.click('#start');
  await page.waitForFunction(() => Number(document.querySelector('#status').dataset.epoch) >= 2, null, { timeout: 60000 });
  // Live while training: the map was redrawn after an epoch, the bar moved, the speed is shown.
  const mid = await hooks();
  assert.equal(mid.state, 'training');
  assert.notEqual(mid.attentionDigest, mid.firstAttentionDigest, 'the attention map updates during training');
  assert.ok(Number(mid.samplesPerSecond) > 0);
  assert.ok(await page.evaluate(() => document.querySelector('#progress').value) > 0);
  assert.match(await page.textContent('#status'), /samples\/s/);
  // Training runs in the worker: the main thread must keep painting frames (no gap > 200 ms).
  const worstGap = await page.evaluate(() => new Promise((resolve) => {
    let last = performance.now(), worst = 0;
    const end = last + 1000;
    const tick = (t) => { worst = Math.max(worst, t - last); last = t; if (t < end) requestAnimationFrame(tick); else resolve(worst); };
    requestAnimationFrame(tick);
  }));
  assert.ok(worstGap < 200, `the page froze for ${worstGap.toFixed(0)} ms during training`);
  await page.click('#stop');
  await page.waitForFunction(() => ['stopped', 'done', 'error'].includes(document.querySelector('#status').dataset.state),
    null, { timeout: 30000 });
  const h = await hooks();
  assert.equal(h.state, 'stopped');
  assert.ok(Number(h.epoch) < 300, `stopped after ${h.epoch} epochs`);
  assert.equal(await page.isDisabled('#start'), false, 'Start is usable again');
});

test('add two numbers: attention finds the numbers after the delimiters', async () => {
  await configure('add', { cell: 'lstm', units: 16, score: 'bahdanau', epochs: 10, batchSize: 16, learningRate: 0.02, samples: 2000, seed: 1 });
  const h = await train();
  assertLearned(h, { lossRatio: 0.7, minHits: 6 });
  await page.screenshot({ path: `${out}add-two-numbers.png`, fullPage: true });
  // Move the delimiters: the numbers now sit at 5 and 15.
  const values = Array.from({ length: 20 }, (_, t) => 0.3 + 0.02 * t);
  values[4] = 0; values[14] = 0;
  const e = await exploreNumbers(values);
  assert.ok(['5', '15'].includes(e.argmax), `attention should peak at 5 or 15: ${e.text}`);
});

test('dense hello world: feature attention peaks on input #1', async () => {
  await configure('dense', { units: 32, epochs: 5, batchSize: 32, learningRate: 0.01, samples: 2000, seed: 1 });
  const h = await train();
  assertLearned(h, { lossRatio: 0.5, minHits: 6 });
  await page.screenshot({ path: `${out}dense-hello-world.png`, fullPage: true });
});

test('recurrent hello world: attention before and after the LSTM peaks on step 10', async () => {
  await configure('recurrent', { cell: 'lstm', units: 16, placement: 'before', singleVector: false,
                                 epochs: 6, batchSize: 32, learningRate: 0.01, samples: 2000, seed: 1 });
  let h = await train();
  assertLearned(h, { lossRatio: 0.5, minHits: 6 });
  await page.screenshot({ path: `${out}recurrent-before.png`, fullPage: true });

  await configure('recurrent', { cell: 'gru', units: 16, placement: 'after', singleVector: true,
                                 epochs: 6, batchSize: 32, learningRate: 0.01, samples: 2000, seed: 1 });
  h = await train();
  assertLearned(h, { lossRatio: 0.5, minHits: 6 });
  await page.screenshot({ path: `${out}recurrent-after-single.png`, fullPage: true });

  // CNN-LSTM-attention: a causal Conv1D in front keeps the steps, so the peak stays readable.
  await configure('recurrent', { cell: 'lstm', units: 16, placement: 'after', singleVector: true, conv: true,
                                 epochs: 6, batchSize: 32, learningRate: 0.01, samples: 2000, seed: 1 });
  h = await train();
  assertLearned(h, { lossRatio: 0.5, minHits: 6 });
  await page.screenshot({ path: `${out}recurrent-conv.png`, fullPage: true });
  await configure('recurrent', { conv: false });
});

test('sentiment: attention lands on the deciding word, shown on the words; typing moves it', async () => {
  await configure('text', { cell: 'lstm', units: 16, attentionType: 'attention', score: 'luong', epochs: 10, batchSize: 16, learningRate: 0.01, seed: 1 });
  const h = await train();
  assertLearned(h, { lossRatio: 0.6, minHits: 6 });
  assert.ok(Number(h.metric) >= 0.8, `training accuracy ${h.metric}`);
  const shaded = await page.locator('#sentences .attention-token').count();
  assert.ok(shaded > 8 * 3, 'the test sentences are drawn word by word');

  const word = async (sentence) => {
    const since = await exploreRequest();
    await page.fill('#sentence', sentence);
    return exploreSettled(since);
  };
  let e = await word('the hotel was lovely');
  assert.match(e.text, /positive/);
  assert.match(e.text, /peaks at the word 'lovely'/);
  e = await word('honestly the food felt awful to me');
  assert.match(e.text, /negative/);
  assert.match(e.text, /peaks at the word 'awful'/);
  assert.equal(await page.locator('#explore-tokens .attention-token').count(), 7);
  await page.screenshot({ path: `${out}sentiment.png`, fullPage: true });
});

test('sentiment: additive self-attention (no query) also finds the deciding word', async () => {
  await configure('text', { cell: 'lstm', units: 16, attentionType: 'additiveSelfAttention', epochs: 12, batchSize: 16,
                            learningRate: 0.02, seed: 1 });
  assert.equal(await page.isVisible('#controls [name=score]'), false, 'score is hidden: the self-attention has none');
  const h = await train();
  assertLearned(h, { lossRatio: 0.6, minHits: 6 });
});

test('sentiment: a visitor CSV trains, and unparseable CSV is reported with its line', async () => {
  await configure('text', { units: 8, epochs: 2 });
  await page.check('input[name=text-source][value=csv]');
  await page.fill('#csv-text', 'text,label\nnice one,1\n"broken, quote,0\n');
  assert.match(await page.textContent('#csv-status'), /Quote Not Closed.*line 3/);
  await page.fill('#csv-text', 'text,label\nnice one,1\nbad one,maybe\n');
  await page.click('#start');
  await page.waitForFunction(() => !document.querySelector('#error').hidden, null, { timeout: 5000 });
  assert.match(await page.textContent('#error'), /textCsv: line 3: label 'maybe'/);
  assert.equal((await hooks()).state, 'idle', 'no run starts on bad data');
  await page.click('#error-close');

  const rows = ['text,label'];
  for (let i = 0; i < 30; i++) rows.push(`"the day was ${i % 2 ? 'sunny' : 'rainy'}, said person ${i}",${i % 2}`);
  // Uploading a file fills the box and is checked the same way.
  await page.setInputFiles('#csv-file', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
  await page.waitForFunction(() => document.querySelector('#csv-status').dataset.state === 'ok', null, { timeout: 5000 });
  assert.match(await page.textContent('#csv-status'), /30 sentences: 15 positive, 15 negative/);
  const h = await train();
  assert.equal(h.epoch, '2');
  await page.check('input[name=text-source][value=builtin]');
});

test('spam (real emails): trains in the page, draws the attention on the words, and passes the erasure test', async () => {
  await configure('spam', { epochs: 4, seed: 1 });
  assert.equal(await page.locator('#controls select[name=attentionType]').inputValue(), 'multiHeadAttention', 'the faithful type is the default');
  const h = await train(180000);
  assert.equal(h.state, 'done');
  assert.ok(Number(h.metric) >= 0.9, `training accuracy ${h.metric}`);
  assert.notEqual(h.attentionDigest, h.firstAttentionDigest, 'the attention map should change during training');
  // The truth for real emails is the erasure test: the attended words must matter more than
  // random, first or last words.
  assert.ok(Number(h.erasureGain) > 0, `erasure gain ${h.erasureGain}: ${await page.textContent('#attention-check')}`);
  assert.match(await page.textContent('#attention-check'), /the attention is faithful here/);
  assert.ok(await page.locator('#sentences .attention-token').count() > 8 * 10, 'the test emails are drawn word by word');
  // Each email's shading is stretched from its least to its most attended word (normalize: 'stretch').
  const strengths = await page.$$eval('#sentences > :first-child .attention-token', (els) => els.map((e) => Number(e.dataset.strength)));
  assert.equal(Math.max(...strengths), 1);
  assert.equal(Math.min(...strengths), 0);
  await page.fill('#sentence', 'click here to claim your free prize now');
  await page.waitForFunction(() => /Model says (spam|ham) \(p = /.test(document.querySelector('#explore-result').textContent), null, { timeout: 10000 });
  await page.screenshot({ path: `${out}spam.png`, fullPage: true });
});

test('sensor faults (real readings): attention lands on the outlined faulty readings of the unseen mote', async () => {
  await configure('sensor', { epochs: 6, seed: 1 });
  const h = await train(180000);
  assert.equal(h.state, 'done');
  assertLearned(h, { lossRatio: 0.8, minHits: 4 });
  assert.ok(Number(h.faultLocation) >= 0.8, `fault location ${h.faultLocation}: ${await page.textContent('#attention-check')}`);
  await page.screenshot({ path: `${out}sensor.png`, fullPage: true });
});

test('Open a Keras model: a .keras, an .h5 and a TF.js model.json predict as their references and show every attention layer', async () => {
  const fixtures = `${root}tests/fixtures/keras/`;
  const kerasResult = () => page.evaluate(() => ({ ...document.querySelector('#keras-result').dataset,
                                                   text: document.querySelector('#keras-result').textContent }));
  const openFiles = async (files) => {
    await page.setInputFiles('#keras-file', files);
    await page.waitForFunction(() => ['predicted', 'error'].includes(document.querySelector('#keras-result').dataset.state),
      null, { timeout: 60000 });
    return kerasResult();
  };
  // Types a sample of the fixture's reference input and compares the prediction with its writer's.
  const predictRow = async (expected, rowIndex) => {
    const samples = expected.inputs.map((t) => {
      const per = t.data.length / t.shape[0];
      const flat = t.data.slice(rowIndex * per, (rowIndex + 1) * per);
      const nest = (values, dims) => (dims.length === 1 ? values
        : Array.from({ length: dims[0] }, (_, k) => nest(values.slice(k * values.length / dims[0], (k + 1) * values.length / dims[0]), dims.slice(1))));
      return nest(flat, t.shape.slice(1));
    });
    await page.fill('#keras-input', JSON.stringify(samples.length === 1 ? samples[0] : samples));
    await page.click('#keras-predict');
    const r = await kerasResult();
    assert.equal(r.state, 'predicted', r.text);
    const got = JSON.parse(r.prediction)[0];
    const per = expected.prediction.data.length / expected.prediction.shape[0];
    const want = expected.prediction.data.slice(rowIndex * per, (rowIndex + 1) * per);
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-4, `output ${i}: ${got[i]} vs ${w}`));
    return r;
  };

  let r = await openFiles(`${fixtures}keras_attention.keras`);
  assert.equal(r.state, 'predicted', r.text);
  assert.deepEqual(JSON.parse(r.attentionLayers), ['dot', 'additive', 'mha']);
  assert.match(await page.textContent('#keras-summary'), /mha \(MultiHeadAttention\)/);
  assert.equal(await page.locator('#keras-maps canvas').count(), 3);
  const expected = JSON.parse(await readFile(`${fixtures}keras_attention.expected.json`, 'utf8'));
  await predictRow(expected, 1);  // the row padded at the front
  await page.locator('#keras').screenshot({ path: `${out}keras.png` });

  r = await openFiles(`${fixtures}cnn_lstm.h5`);
  assert.equal(r.state, 'predicted', r.text);
  assert.deepEqual(JSON.parse(r.attentionLayers), []);
  await predictRow(JSON.parse(await readFile(`${fixtures}cnn_lstm/expected.json`, 'utf8')), 2);

  r = await openFiles([`${fixtures}two_inputs/model.json`, `${fixtures}two_inputs/weights.bin`]);
  assert.equal(r.state, 'predicted', r.text);
  await predictRow(JSON.parse(await readFile(`${fixtures}two_inputs/expected.json`, 'utf8')), 0);

  // A broken file is reported and the last model stays usable.
  await page.setInputFiles('#keras-file', { name: 'broken.keras', mimeType: 'application/octet-stream', buffer: Buffer.from('PK not a zip') });
  await page.waitForFunction(() => document.querySelector('#keras-result').dataset.state === 'error', null, { timeout: 30000 });
  assert.match((await kerasResult()).text, /loadKerasModel: /);
  await page.click('#error-close');
  await page.fill('#keras-input', '[1, 2, 3]');
  await page.click('#keras-predict');
  assert.match((await kerasResult()).text, /the model has 2 inputs \(words, sensor\)/);
  await page.fill('#keras-input', '[1, 2]');
  await page.click('#keras-predict');
  assert.match((await kerasResult()).text, /input 'words' needs 6 numbers \(shape \[6\]\), got 1/);
  await page.click('#error-close');
});

test('works at phone width', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await configure('max', { epochs: 3, batchSize: 32, samples: 600 });
  await train();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
  await page.screenshot({ path: `${out}phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1000 });
  assert.deepEqual(pageErrors, [], 'no uncaught errors on the page');
});
