// Spam, with attention over words, on the SpamAssassin public corpus (message bodies; see
// scripts/prepare-data.mjs): embedding(maskZero) -> LSTM -> each attention type -> sigmoid.
// Prints, per type and seed, the test accuracy and the erasure test: the drop in the predicted
// class' log-odds when the k most attended words are deleted, against k random, the first k and
// the last k words; then the attention on a few test emails.
//   node examples/spam.mjs [--types luong,additiveSelf] [--seeds 3] [--epochs 4] [--limit 2000] [--k 5]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { init } from 'attention-wasm';

import { ATTENTION_TYPES, SPAM_DEFAULTS, controlWeights, erasure, positionWeights, spamTask } from '../web/real_data.mjs';

const { values } = parseArgs({ options: {
  types: { type: 'string', default: Object.keys(ATTENTION_TYPES).join(',') }, seeds: { type: 'string', default: '3' },
  epochs: { type: 'string', default: String(SPAM_DEFAULTS.epochs) }, limit: { type: 'string', default: '0' },
  k: { type: 'string', default: '5' }, json: { type: 'string', default: '' },
} });
const types = values.types.split(',');
for (const t of types) if (!ATTENTION_TYPES[t]) throw new Error(`unknown attention type '${t}' (known: ${Object.keys(ATTENTION_TYPES).join(', ')})`);
const seeds = Number(values.seeds), epochs = Number(values.epochs), k = Number(values.k), limit = Number(values.limit) || undefined;

const { emails } = JSON.parse(readFileSync(new URL('../build/data/spam.json', import.meta.url), 'utf8'));
const aw = await init();
const fmt = (v) => (v >= 0 ? ' ' : '') + v.toFixed(3);
console.log(`${emails.length} emails; ${epochs} epochs; erasure of k = ${k} words; ${seeds} seed(s)\n`);
console.log('type                          seed  accuracy  drop: attention  random  first   last    gain');
const results = [];
for (const type of types) {
  for (let seed = 1; seed <= seeds; seed++) {
    const task = spamTask(emails, aw, { seed, limit });
    const model = task.build(type, { seed });
    await model.fit(task.xTrain, task.yTrain, { epochs, batchSize: SPAM_DEFAULTS.batchSize, seed });
    const { accuracy } = model.evaluate(task.xTest, task.yTest);
    const weights = positionWeights(model.getAttention(task.xTest, { layer: 'attention' }), task.xTest);
    const e = erasure(model, task.xTest, weights, { k, seed });
    results.push({ type, seed, accuracy, ...e });
    console.log(`${ATTENTION_TYPES[type].title.padEnd(30)}${String(seed).padStart(4)}  ${accuracy.toFixed(4)}   ` +
      `${fmt(e.attention)}  ${fmt(e.random)} ${fmt(e.first)} ${fmt(e.last)}  ${fmt(e.gain)}`);
    if (seed === 1 && type === types[0]) {
      const controls = controlWeights(task.xTest);
      for (const [name, w] of Object.entries(controls)) {
        const c = erasure(model, task.xTest, w, { k, seed });
        console.log(`    control: ${name.padEnd(10)} attention-picked drop ${fmt(c.attention)}, gain ${fmt(c.gain)}`);
      }
      // The attention on three test emails: their most attended words.
      const T = task.xTest.shape[1];
      for (let b = 0; b < 3; b++) {
        const ids = task.xTest.data.subarray(b * T, (b + 1) * T);
        const w = weights.data.subarray(b * T, (b + 1) * T);
        const words = task.wordsOf(ids);
        const top = Array.from(w.keys()).filter((t) => ids[t]).sort((a, c) => w[c] - w[a]).slice(0, 8);
        console.log(`    email ${b} (${task.yTest.data[b] ? 'spam' : 'ham'}): ${top.map((t) => `${words[t]}:${w[t].toFixed(2)}`).join(' ')}`);
      }
    }
    model.dispose();
  }
}
console.log('\nmean over seeds:');
for (const type of types) {
  const mine = results.filter((r) => r.type === type);
  const mean = (key) => mine.reduce((s, r) => s + r[key], 0) / mine.length;
  console.log(`${ATTENTION_TYPES[type].title.padEnd(30)}      ${mean('accuracy').toFixed(4)}   ${fmt(mean('attention'))}  ` +
    `${fmt(mean('random'))} ${fmt(mean('first'))} ${fmt(mean('last'))}  ${fmt(mean('gain'))}  ` +
    `(gain > 0 on ${mine.filter((r) => r.gain > 0).length}/${mine.length} seeds)`);
}
if (values.json) (await import('node:fs')).writeFileSync(values.json, JSON.stringify(results, null, 1));
