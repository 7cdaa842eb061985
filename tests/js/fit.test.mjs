// model.fit as API.md states it: options, callbacks and their logs, validation, stopping by
// AbortSignal and by model.stopTraining, determinism with a seed, one copy of the data per fit,
// flat memory across batches and epochs, and yielding to the event loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aw, assertRejects, randomTensor, sameBits, trainSmallModel } from './support.mjs';

const L = aw.layers;

function regressionModel(seed = 1, extra = []) {
  const model = aw.sequential({
    layers: [L.lstm({ units: 8, inputShape: [5, 3] }), ...extra, L.dense({ units: 1 })], seed,
  });
  model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
  return model;
}
const X = randomTensor([40, 5, 3], 1);
const Y = randomTensor([40, 1], 2);

function weightsOf(model) {
  return model.getWeights().map((w) => w.data);
}
function sameWeights(a, b) {
  return a.length === b.length && a.every((w, i) => sameBits(w, b[i]));
}

test('epochs, batchSize and the callbacks with their logs', async () => {
  const model = regressionModel();
  try {
    const batches = [];
    const epochs = [];
    let began = 0, ended = null;
    const h = await model.fit(X, Y, {
      epochs: 3, batchSize: 16, seed: 1,
      callbacks: {
        onTrainBegin() { began++; },
        onBatchEnd(batch, logs, progress) { batches.push([batch, logs, progress]); },
        onEpochEnd(epoch, logs) { epochs.push([epoch, logs]); },
        onTrainEnd(history) { ended = history; },
      },
    });
    assert.equal(began, 1);
    assert.equal(ended, h);
    // 40 samples in batches of 16: 16, 16, 8 per epoch.
    assert.deepEqual(batches.map(([b]) => b), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
    // Where the epoch is, as the core counts it (the demo's progress bar reads it).
    assert.deepEqual(batches.map(([, , p]) => p.samplesSeen), [16, 32, 40, 16, 32, 40, 16, 32, 40]);
    assert.deepEqual(batches.map(([, , p]) => p.epoch), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    assert.ok(batches.every(([, , p]) => p.samples === 40));
    for (const [, logs] of batches) {
      assert.ok(Number.isFinite(logs.loss) && Number.isFinite(logs.mae), JSON.stringify(logs));
    }
    assert.deepEqual(epochs.map(([e]) => e), [0, 1, 2]);
    assert.deepEqual(h.epoch, [0, 1, 2]);
    assert.deepEqual(Object.keys(h.history).sort(), ['loss', 'mae']);
    assert.deepEqual(h.history.loss, epochs.map(([, logs]) => logs.loss));
    assert.equal(h.stopped, false);
    assert.deepEqual(h.params, { epochs: 3, samples: 40 });
    // The epoch's logs are the running means at its last batch (Keras).
    assert.equal(epochs[2][1].loss, batches[8][1].loss);
  } finally {
    model.dispose();
  }
});

test('callbacks may be async: fit awaits them', async () => {
  const model = regressionModel();
  try {
    const order = [];
    await model.fit(X, Y, {
      epochs: 2, batchSize: 20,
      callbacks: {
        async onBatchEnd(batch) { await new Promise((r) => setTimeout(r, 2)); order.push(`b${batch}`); },
        async onEpochEnd(epoch) { await new Promise((r) => setTimeout(r, 2)); order.push(`e${epoch}`); },
      },
    });
    assert.deepEqual(order, ['b0', 'b1', 'e0', 'b0', 'b1', 'e1']);
  } finally {
    model.dispose();
  }
});

test('validationSplit holds out the last samples (Keras); validationData gives the same result', async () => {
  const a = regressionModel(3);
  const b = regressionModel(3);
  try {
    const ha = await a.fit(X, Y, { epochs: 2, batchSize: 10, validationSplit: 0.25, seed: 5 });
    assert.deepEqual(Object.keys(ha.history).sort(), ['loss', 'mae', 'val_loss', 'val_mae']);
    assert.equal(ha.params.samples, 30);
    const head = (t, n) => ({ data: t.data.slice(0, n * (t.data.length / t.shape[0])), shape: [n, ...t.shape.slice(1)] });
    const tail = (t, n) => ({ data: t.data.slice((t.shape[0] - n) * (t.data.length / t.shape[0])), shape: [n, ...t.shape.slice(1)] });
    const hb = await b.fit(head(X, 30), head(Y, 30), { epochs: 2, batchSize: 10, validationData: [tail(X, 10), tail(Y, 10)], seed: 5 });
    assert.deepEqual(hb.history, ha.history);
    assert.ok(sameWeights(weightsOf(a), weightsOf(b)));
    // val_loss is the loss of the held-out samples after the epoch.
    assert.ok(Math.abs(a.evaluate(tail(X, 10), tail(Y, 10)).loss - ha.history.val_loss[1]) < 1e-5);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('seed: two fresh models with the same seeds train to identical weights; another seed differs', async () => {
  const run = async (modelSeed, fitSeed, shuffle = true) => {
    const m = regressionModel(modelSeed, [L.dropout({ rate: 0.3 })]);
    try {
      const h = await m.fit(X, Y, { epochs: 3, batchSize: 8, seed: fitSeed, shuffle });
      return { weights: weightsOf(m), loss: h.history.loss };
    } finally {
      m.dispose();
    }
  };
  const a = await run(7, 11);
  const b = await run(7, 11);
  assert.ok(sameWeights(a.weights, b.weights), 'same seeds -> same weights bit for bit');
  assert.deepEqual(a.loss, b.loss);
  const c = await run(7, 12);
  assert.ok(!sameWeights(a.weights, c.weights), 'another fit seed -> other weights');
  const d = await run(8, 11);
  assert.ok(!sameWeights(a.weights, d.weights), 'another model seed -> other weights');
});

test('shuffle: false keeps the sample order, so the fit seed no longer matters (without dropout)', async () => {
  const run = async (seed, shuffle) => {
    const m = regressionModel(2);
    try {
      await m.fit(X, Y, { epochs: 2, batchSize: 8, seed, shuffle });
      return weightsOf(m);
    } finally {
      m.dispose();
    }
  };
  assert.ok(sameWeights(await run(1, false), await run(2, false)));
  assert.ok(!sameWeights(await run(1, true), await run(2, true)));
});

test('an AbortSignal stops fit after the current batch', async () => {
  const model = regressionModel();
  try {
    const controller = new AbortController();
    const seen = [];
    const h = await model.fit(X, Y, {
      epochs: 5, batchSize: 8, signal: controller.signal,
      callbacks: { onBatchEnd(batch) { seen.push(batch); if (batch === 2) controller.abort(); } },
    });
    assert.deepEqual(seen, [0, 1, 2]);
    assert.equal(h.stopped, true);
    assert.deepEqual(h.epoch, [], 'no epoch completed');
    // An already aborted signal trains nothing.
    const before = weightsOf(model);
    const h2 = await model.fit(X, Y, { epochs: 2, signal: AbortSignal.abort() });
    assert.equal(h2.stopped, true);
    assert.ok(sameWeights(before, weightsOf(model)));
    // The model trains normally afterwards.
    const h3 = await model.fit(X, Y, { epochs: 1, batchSize: 8 });
    assert.equal(h3.stopped, false);
    assert.equal(h3.epoch.length, 1);
  } finally {
    model.dispose();
  }
});

test('an abort from outside (a timer) lands during fit, because fit yields', async () => {
  const model = regressionModel();
  const x = randomTensor([2000, 5, 3], 3);
  const y = randomTensor([2000, 1], 4);
  try {
    const controller = new AbortController();
    let epochs = 0;
    setTimeout(() => controller.abort(), 30);
    const h = await model.fit(x, y, { epochs: 1000, batchSize: 8, signal: controller.signal, callbacks: { onEpochEnd() { epochs++; } } });
    assert.equal(h.stopped, true);
    assert.ok(epochs < 1000, `stopped after ${epochs} epochs`);
    assert.equal(h.epoch.length, epochs);
  } finally {
    model.dispose();
  }
});

test('model.stopTraining set in a callback ends fit at the end of that epoch', async () => {
  const model = regressionModel();
  try {
    const h = await model.fit(X, Y, {
      epochs: 10, batchSize: 20,
      callbacks: { onEpochEnd(epoch) { if (epoch === 1) model.stopTraining = true; } },
    });
    assert.deepEqual(h.epoch, [0, 1]);
    assert.equal(h.history.loss.length, 2);
    assert.equal(h.stopped, true);
    // The flag is reset by the next fit.
    const again = await model.fit(X, Y, { epochs: 2, batchSize: 20 });
    assert.deepEqual(again.epoch, [0, 1]);
    assert.equal(again.stopped, false);
  } finally {
    model.dispose();
  }
});

test('fit copies the data once: changing the caller\'s arrays during fit changes nothing', async () => {
  const run = async (tamper) => {
    const m = regressionModel(4);
    const x = { data: X.data.slice(), shape: X.shape };
    const y = { data: Y.data.slice(), shape: Y.shape };
    try {
      const h = await m.fit(x, y, {
        epochs: 3, batchSize: 8, seed: 3,
        callbacks: { onBatchEnd() { if (tamper) { x.data.fill(NaN); y.data.fill(1e6); } } },
      });
      return { loss: h.history.loss, weights: weightsOf(m) };
    } finally {
      m.dispose();
    }
  };
  const clean = await run(false);
  const tampered = await run(true);
  assert.deepEqual(tampered.loss, clean.loss);
  assert.ok(sameWeights(tampered.weights, clean.weights));
});

test('memory stays flat across batches and epochs (nothing allocated per batch after the first)', async () => {
  const model = regressionModel(5);
  const x = randomTensor([2000, 5, 3], 9);
  const y = randomTensor([2000, 1], 10);
  try {
    const inUse = [];
    const heap = [];
    await model.fit(x, y, {
      epochs: 3, batchSize: 50, validationSplit: 0.1,
      callbacks: { onBatchEnd() { inUse.push(aw.heapBytesInUse()); heap.push(aw.memoryBytes()); } },
    });
    assert.equal(inUse.length, 3 * 36);
    // After the first batch (which sizes the workspace), the bytes malloc'ed stay exactly put:
    // no per-batch copy of the data set and no per-batch allocation.
    const settled = inUse.slice(1);
    assert.ok(settled.every((v) => v === settled[0]), `heap in use varies: min ${Math.min(...settled)} max ${Math.max(...settled)}`);
    assert.ok(heap.every((v) => v === heap[0]), 'the wasm memory did not grow during fit');
    // The data set (2000*15 + 2000 floats = 128 kB) is in memory once, not once per batch.
    assert.ok(settled[0] - inUse[0] < 64 * 1024);
  } finally {
    model.dispose();
  }
  // Memory in use returns to where it was once the fit's copy and the model are freed. Each
  // thread keeps its GEMM packing buffers for the program's life (grown, never freed), and a
  // batch of 100 is the first here to shard (the pool's threads pack too): one model first.
  const fitAndFree = async (seed) => {
    const m = regressionModel(seed);
    await m.fit(x, y, { epochs: 1, batchSize: 100 });
    m.predict(x);
    m.dispose();
  };
  await fitAndFree(0);
  const start = aw.heapBytesInUse();
  for (let i = 1; i <= 3; i++) await fitAndFree(i);
  assert.ok(aw.heapBytesInUse() <= start + 1024, `in use ${start} -> ${aw.heapBytesInUse()}`);
});

test('fit yields to the event loop: a timer keeps ticking during a long fit', async () => {
  // Enough work (several hundred ms after the first epoch even on an idle fast machine) for the
  // gaps between timer callbacks to say something.
  const model = aw.sequential({ layers: [L.lstm({ units: 64, inputShape: [40, 8] }), L.dense({ units: 1 })], seed: 1 });
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = randomTensor([1024, 40, 8], 1);
  const y = randomTensor([1024, 1], 2);
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 5);
  // Gaps between 1 ms timer callbacks, once the first epoch is over: the first batches include
  // V8 compiling the module's functions, a one-off stretch no yielding can split.
  const gaps = [];
  let warm = false;
  let last = performance.now();
  const stall = setInterval(() => { const t = performance.now(); if (warm) gaps.push(t - last); last = t; }, 1);
  try {
    const started = performance.now();
    await model.fit(x, y, { epochs: 6, batchSize: 32, callbacks: { onEpochEnd() { warm = true; } } });
    const elapsed = performance.now() - started;
    assert.ok(elapsed > 150, `the fit should be long enough to measure (${elapsed.toFixed(0)} ms)`);
    assert.ok(ticks >= 5, `${ticks} ticks during a ${elapsed.toFixed(0)} ms fit`);
    // API.md: no stretch of work over ~50 ms. The 90th percentile of the gaps between timer
    // callbacks, so that a shared machine descheduling this process now and then does not count.
    gaps.sort((a, b) => a - b);
    const p90 = gaps[Math.floor(gaps.length * 0.9)];
    assert.ok(gaps.length >= 10, `${gaps.length} gaps measured`);
    assert.ok(p90 < 60, `90% of the gaps between timer callbacks are under ${p90.toFixed(1)} ms (longest ${gaps.at(-1).toFixed(0)} ms)`);
  } finally {
    clearInterval(timer);
    clearInterval(stall);
    model.dispose();
  }
});

test('fit errors name the problem, free everything, and the module keeps working', async () => {
  const model = regressionModel();
  try {
    await assertRejects(() => model.fit(X, Y, { epoch: 2 }), /fit: unknown option 'epoch'/);
    await assertRejects(() => model.fit(X, Y, { batchSize: 0 }), /fit/, /batchSize/);
    await assertRejects(() => model.fit(X, Y, { validationSplit: 1.5 }), /fit/, /validationSplit/);
    await assertRejects(() => model.fit(X, randomTensor([39, 1], 1)), /fit/, /40/, /39/);
    await assertRejects(() => model.fit(X, Y, { validationData: [X] }), /fit: option 'validationData' must be \[x, y\]/);
    await assertRejects(() => model.fit(randomTensor([40, 5, 4], 1), Y), /fit|lstm/, /expected .*3.*got 4|3.*4/);
    const bad = { data: X.data.slice(), shape: X.shape };
    bad.data[17] = NaN;
    await assertRejects(() => model.fit(bad, Y), /NaN|not finite|non-finite/i);
    // An exception thrown by a callback ends fit with that exception.
    await assertRejects(() => model.fit(X, Y, { epochs: 2, callbacks: { onBatchEnd() { throw new Error('callback says no'); } } }), /callback says no/);
    const h = await model.fit(X, Y, { epochs: 1, batchSize: 40 });
    assert.ok(Number.isFinite(h.history.loss[0]));
    const uncompiled = aw.sequential({ layers: [L.dense({ units: 1, inputShape: [3] })] });
    try {
      await assertRejects(() => uncompiled.fit(randomTensor([4, 3]), randomTensor([4, 1])), /fit/, /compile/);
    } finally {
      uncompiled.dispose();
    }
    await trainSmallModel();
  } finally {
    model.dispose();
  }
});

// Keras' sample_weight / class_weight: each sample's loss is multiplied by its weight, and the
// batch loss stays a mean over the batch's samples (Keras' sum_over_batch_size).
function classifier(seed = 3, learningRate = 0.1) {
  const model = aw.sequential({ layers: [L.dense({ units: 4, activation: 'tanh', inputShape: [3] }), L.dense({ units: 1, activation: 'sigmoid' })], seed });
  model.compile({ optimizer: { type: 'sgd', learningRate }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}
const CX = randomTensor([8, 3], 11);
const CY = { data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0]), shape: [8, 1] };

test('sampleWeight: the logged loss is Keras\' weighted mean, and a zero weight removes a sample', async () => {
  const weights = [2, 1, 0.5, 0, 1, 3, 0, 1];
  const model = classifier();
  try {
    // The loss of the one batch is computed before its update: from the predictions of now.
    const p = model.predict(CX).data;
    const bce = (pi, yi) => -(yi * Math.log(pi) + (1 - yi) * Math.log(1 - pi));
    const want = weights.reduce((sum, w, i) => sum + w * bce(p[i], CY.data[i]), 0) / weights.length;
    const h = await model.fit(CX, CY, { epochs: 1, batchSize: 8, shuffle: false, sampleWeight: weights });
    assert.ok(Math.abs(h.history.loss[0] - want) < 1e-5, `${h.history.loss[0]} vs ${want}`);
  } finally {
    model.dispose();
  }
  // Weights [1, 1, 0, 0]: the same step as the first two samples alone at half the learning
  // rate (the mean is still over 4 samples).
  const x4 = { data: CX.data.slice(0, 12), shape: [4, 3] }, y4 = { data: CY.data.slice(0, 4), shape: [4, 1] };
  const x2 = { data: CX.data.slice(0, 6), shape: [2, 3] }, y2 = { data: CY.data.slice(0, 2), shape: [2, 1] };
  const a = classifier(5, 0.1), b = classifier(5, 0.05);
  try {
    await a.fit(x4, y4, { epochs: 1, batchSize: 4, shuffle: false, sampleWeight: { data: [1, 1, 0, 0], shape: [4] } });
    await b.fit(x2, y2, { epochs: 1, batchSize: 2, shuffle: false });
    const wa = weightsOf(a), wb = weightsOf(b);
    wa.forEach((w, k) => w.forEach((v, i) => assert.ok(Math.abs(v - wb[k][i]) < 1e-6, `weight ${k}[${i}]: ${v} vs ${wb[k][i]}`)));
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('classWeight: the same training as the per-sample weights of each sample\'s class', async () => {
  const a = classifier(7), b = classifier(7);
  try {
    await a.fit(CX, CY, { epochs: 3, batchSize: 4, seed: 2, classWeight: { 0: 1, 1: 3 } });
    await b.fit(CX, CY, { epochs: 3, batchSize: 4, seed: 2, sampleWeight: Array.from(CY.data, (y) => (y ? 3 : 1)) });
    assert.ok(sameWeights(weightsOf(a), weightsOf(b)));
    const c = classifier(7);
    await c.fit(CX, CY, { epochs: 3, batchSize: 4, seed: 2 });
    assert.ok(!sameWeights(weightsOf(a), weightsOf(c)), 'class weights change the training');
    c.dispose();
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('sampleWeight and classWeight errors name the option', async () => {
  const model = classifier();
  try {
    await assertRejects(() => model.fit(CX, CY, { sampleWeight: [1, 2, 3] }), /fit: sampleWeight/, /8/, /3/);
    await assertRejects(() => model.fit(CX, CY, { sampleWeight: [1, 1, 1, -1, 1, 1, 1, 1] }), /fit: sampleWeight/, /-1/, />= 0/);
    await assertRejects(() => model.fit(CX, CY, { classWeight: { 0: 1, 1: 2 }, sampleWeight: Array(8).fill(1) }),
      /fit: classWeight and sampleWeight cannot both be given/);
    await assertRejects(() => model.fit(CX, CY, { classWeight: { zero: 1 } }), /fit: classWeight/, /'zero'/, /class id/);
    await assertRejects(() => model.fit(CX, CY, { classWeight: { 1: 'heavy' } }), /fit: classWeight/, /'1'/, /number/);
    // The module keeps working.
    await model.fit(CX, CY, { epochs: 1 });
  } finally {
    model.dispose();
  }
});
