// The real data sets (build/data/, from scripts/prepare-data.mjs), seeded and subsampled to keep
// npm test short: each test asserts an accuracy and an attention statistic, and shows what
// uniform, random and fixed-position attention score on that statistic (they must fail it).
//   spam:   3,000 of the 5,594 emails (seeded draw), first 100 words, 4 epochs
//   sensor: every window (stride 2), train on motes 1-3, test on mote 4, 8 epochs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { seriesCsv } from 'attention-wasm/data';

import { aw } from './support.mjs';
import { balancedAccuracy, controlWeights, erasure, faultLocation, positionWeights, sensorTask, spamTask } from '../../web/real_data.mjs';
import { rng } from '../../web/tasks.mjs';

const data = (file) => readFileSync(new URL(`../../build/data/${file}`, import.meta.url), 'utf8');

test('spam: additive self-attention classifies the emails and its words are the ones that matter', async (t) => {
  const { emails } = JSON.parse(data('spam.json'));
  const task = spamTask(emails, aw, { seed: 1, limit: 3000 });
  const model = task.build('additiveSelf', { seed: 1 });
  try {
    await model.fit(task.xTrain, task.yTrain, { epochs: 4, batchSize: 64, seed: 1 });
    const { accuracy } = model.evaluate(task.xTest, task.yTest);
    assert.ok(accuracy > 0.93, `test accuracy ${accuracy}`);
    // Erasure gain: the drop in the predicted class' log-odds when the 5 most attended words are
    // deleted, minus the best of deleting 5 random, the first 5 or the last 5 words.
    const weights = positionWeights(model.getAttention(task.xTest, { layer: 'attention' }), task.xTest);
    const ours = erasure(model, task.xTest, weights, { k: 5, seed: 1 });
    const controls = Object.fromEntries(Object.entries(controlWeights(task.xTest))
      .map(([name, w]) => [name, erasure(model, task.xTest, w, { k: 5, seed: 1 }).gain]));
    t.diagnostic(`erasure gain: attention ${ours.gain.toFixed(3)} (drops: attention ${ours.attention.toFixed(3)}, random ` +
      `${ours.random.toFixed(3)}, first ${ours.first.toFixed(3)}, last ${ours.last.toFixed(3)}); controls ${JSON.stringify(controls)}`);
    const threshold = 0.05;
    assert.ok(ours.gain > threshold, `attention's erasure gain ${ours.gain}`);
    for (const [name, gain] of Object.entries(controls)) assert.ok(gain <= threshold, `${name} attention passes too: gain ${gain}`);
  } finally {
    model.dispose();
  }
});

test('sensor faults: Bahdanau attention lands on the faulty readings of a mote it never saw', async (t) => {
  const windows = seriesCsv(data('sensor.csv'), { window: 32, stride: 2, groupColumn: 'mote_id', featureColumns: ['humidity', 'temperature'] });
  const task = sensorTask(windows, aw, { testGroup: '4', seed: 1 });
  const model = task.build('bahdanau', { seed: 1 });
  try {
    await model.fit(task.xTrain, task.yTrain, { epochs: 8, batchSize: 64, seed: 1, classWeight: { 0: 1, 1: 20 } });
    const balanced = balancedAccuracy(model.predict(task.xTest).data, task.yTest.data);
    assert.ok(balanced > 0.85, `balanced accuracy ${balanced}`);
    const found = faultLocation(model.getAttention(task.xTest, { layer: 'attention' }), task.stepsTest);
    const [B, T] = task.stepsTest.shape;
    const r = rng(3);
    const control = (fill) => faultLocation({ data: Float32Array.from({ length: B * T }, (_, i) => fill(i % T)), shape: [B, T] }, task.stepsTest).rate;
    const controls = { uniform: control(() => 1), random: control(() => r.uniform()), last: control((s) => (s === T - 1 ? 1 : 0)),
                       first: control((s) => (s === 0 ? 1 : 0)) };
    t.diagnostic(`fault location: ${found.rate.toFixed(3)} of ${found.windows} windows (chance ${found.chance.toFixed(3)}); controls ${JSON.stringify(controls)}`);
    const threshold = 0.8;
    assert.ok(found.rate > threshold, `the most attended reading is faulty in ${found.rate} of the windows`);
    for (const [name, rate] of Object.entries(controls)) assert.ok(rate <= threshold, `${name} attention passes too: ${rate}`);
  } finally {
    model.dispose();
  }
});
