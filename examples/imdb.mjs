// The `attention` package's IMDB experiment (examples/imdb.py), same protocol: top 5,000 words,
// reviews cut to 500 words, Embedding(5000, 32) -> Dropout(0.5) -> either LSTM(100,
// return_sequences) -> Attention() (units 128, Luong) or LSTM(100) -> Dense(350, relu) (the same
// ~249K parameters) -> Dropout(0.5) -> Dense(1, sigmoid); Adam, 10 epochs, batch 64; the test
// accuracy after every epoch, its max and mean per run; several seeds, and their mean and spread.
//   node examples/imdb.mjs --archive path/to/aclImdb_v1.tar.gz [--seeds 10]
//   node examples/imdb.mjs --data spam [--seeds 10] [--maxLen 300]     (the SpamAssassin bodies)
// The archive (https://ai.stanford.edu/~amaas/data/sentiment/) is read as it is, with node:zlib
// and tar-stream: aclImdb/{train,test}/{pos,neg}/*.txt.
import { createReadStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';

import { init } from 'attention-wasm';
import tar from 'tar-stream';

import { rng } from '../web/tasks.mjs';

const { values } = parseArgs({ options: {
  archive: { type: 'string' }, data: { type: 'string' }, seeds: { type: 'string', default: '10' },
  epochs: { type: 'string', default: '10' }, maxLen: { type: 'string', default: '500' },
  numWords: { type: 'string', default: '5000' }, limit: { type: 'string', default: '0' },
} });
const seeds = Number(values.seeds), epochs = Number(values.epochs), maxLen = Number(values.maxLen), numWords = Number(values.numWords);
if (!values.archive && values.data !== 'spam') throw new Error('give --archive aclImdb_v1.tar.gz or --data spam');

// { train: [{text, label}], test: [...] } from the archive's pos/neg folders.
async function readImdb(path) {
  const out = { train: [], test: [] };
  const extract = tar.extract();
  const done = new Promise((resolve, reject) => { extract.on('finish', resolve); extract.on('error', reject); });
  extract.on('entry', (header, stream, next) => {
    const m = /(?:^|\/)aclImdb\/(train|test)\/(pos|neg)\/[^/]+\.txt$/.exec(header.name);
    const chunks = [];
    stream.on('data', (c) => { if (m) chunks.push(c); });
    stream.on('end', () => {
      if (m) out[m[1]].push({ text: Buffer.concat(chunks).toString('utf8').replace(/<br\s*\/?>/gi, ' '), label: m[2] === 'pos' ? 1 : 0 });
      next();
    });
    stream.resume();
  });
  const input = createReadStream(path).pipe(createGunzip());
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  await done;
  if (!out.train.length || !out.test.length) throw new Error(`${path}: no aclImdb/{train,test}/{pos,neg}/*.txt reviews found`);
  return out;
}

function spamSplit() {
  const { emails } = JSON.parse(readFileSync(new URL('../build/data/spam.json', import.meta.url), 'utf8'));
  const r = rng(7);
  const rows = emails.map((e) => ({ text: e.text, label: e.spam }));
  for (let i = rows.length - 1; i > 0; i--) { const j = r.int(0, i + 1); [rows[i], rows[j]] = [rows[j], rows[i]]; }
  const nTest = Math.round(rows.length * 0.2);
  return { train: rows.slice(nTest), test: rows.slice(0, nTest) };
}

const split = values.archive ? await readImdb(values.archive) : spamSplit();
const limit = Number(values.limit);
if (limit) { split.train = split.train.slice(0, limit); split.test = split.test.slice(0, limit); }
const aw = await init();
const tokenizer = aw.text.tokenizer({ numWords });
tokenizer.fit(split.train.map((r) => r.text));
const encode = (rows) => aw.padSequences(tokenizer.textsToSequences(rows.map((r) => r.text)), { maxLen });
const labels = (rows) => ({ data: Float32Array.from(rows, (r) => r.label), shape: [rows.length, 1] });
const x = encode(split.train), y = labels(split.train), xt = encode(split.test), yt = labels(split.test);
console.log(`${values.archive ?? 'spam'}: ${split.train.length} train, ${split.test.length} test; ${numWords} words, length ${maxLen}; ` +
  `${epochs} epochs, batch 64; ${seeds} seed(s)`);

function build(attention, seed) {
  const L = aw.layers;
  const recurrent = attention
    ? [L.lstm({ units: 100, returnSequences: true }), L.attention({ units: 128, score: 'luong', name: 'attention' })]
    : [L.lstm({ units: 100 }), L.dense({ units: 350, activation: 'relu' })];
  const model = aw.sequential({ seed, layers: [
    L.embedding({ inputDim: numWords, outputDim: 32, inputShape: [maxLen] }), L.dropout({ rate: 0.5 }),
    ...recurrent, L.dropout({ rate: 0.5 }), L.dense({ units: 1, activation: 'sigmoid' })] });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

const stats = (v) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1)), max: Math.max(...v) };
};
const pct = (v) => (100 * v).toFixed(2);
const table = {};
for (const attention of [false, true]) {
  const name = attention ? 'LSTM + attention' : 'LSTM + Dense(350)';
  table[name] = { max: [], mean: [] };
  for (let seed = 1; seed <= seeds; seed++) {
    const model = build(attention, seed);
    if (seed === 1) console.log(`${name}: ${model.countParams()} parameters`);
    const h = await model.fit(x, y, { epochs, batchSize: 64, seed, validationData: [xt, yt] });
    const acc = h.history.val_accuracy;
    table[name].max.push(Math.max(...acc));
    table[name].mean.push(acc.reduce((a, b) => a + b, 0) / acc.length);
    console.log(`  seed ${String(seed).padStart(2)}: max test accuracy ${pct(Math.max(...acc))} %, mean ${pct(table[name].mean.at(-1))} %`);
    model.dispose();
  }
}
console.log('\n| measure (over seeds) | LSTM + Dense(350) | LSTM + attention |\n|---|---:|---:|');
const row = (label, pick) => console.log(`| ${label} | ${pick(table['LSTM + Dense(350)'])} | ${pick(table['LSTM + attention'])} |`);
row('max of the runs\' max accuracy', (t) => pct(Math.max(...t.max)));
row('mean of the runs\' max accuracy', (t) => pct(stats(t.max).mean));
row('std of the runs\' max accuracy', (t) => pct(stats(t.max).std));
row('mean of the runs\' mean accuracy', (t) => pct(stats(t.mean).mean));
row('std of the runs\' mean accuracy', (t) => pct(stats(t.mean).std));
