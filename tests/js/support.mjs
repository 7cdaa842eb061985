// Shared pieces of the package's node tests: the module (loaded through the package's own name,
// as a user would), seeded data and float comparisons.
import assert from 'node:assert/strict';

import { init } from 'attention-wasm';

export const aw = await init();

// Small deterministic generator (mulberry32), so test data is the same on every run.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(shape, seed = 1, scale = 1) {
  const next = rng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (next() * 2 - 1) * scale;
  return { data, shape: [...shape] };
}

export function randomIds(shape, vocabulary, seed = 1) {
  const next = rng(seed);
  const data = new Int32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = 1 + Math.floor(next() * (vocabulary - 1));
  return { data, shape: [...shape] };
}

// One-hot targets (samples, classes), class = sample index mod classes.
export function oneHot(samples, classes) {
  const data = new Float32Array(samples * classes);
  for (let i = 0; i < samples; i++) data[i * classes + (i % classes)] = 1;
  return { data, shape: [samples, classes] };
}

export function assertClose(actual, expected, tolerance = 1e-5, what = 'values') {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tolerance, `${what}: max |diff| ${worst} at ${at} exceeds ${tolerance}`);
}

export function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

export function allFinite(data) {
  return data.every((v) => Number.isFinite(v));
}

// A checked error of the package (attn::Error from the core, or the wrapper's own), not a C++
// bug or resource failure that the bindings report as an internal error.
export function assertCheckedError(error) {
  assert.doesNotMatch(error.message, /attention-wasm internal error/, 'expected a checked error, got an internal one');
  // A TypeError or RangeError from a JS slip, or a wasm RuntimeError (a trap), is not a checked error.
  assert.equal(error.name, 'Error', `expected a checked Error, got ${error.name}: ${error.message}`);
}

// assert.throws for the package's errors: a real Error whose message matches every pattern.
export function assertError(fn, ...patterns) {
  let caught = null;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, `expected an error matching ${patterns.join(', ')}`);
  assert.ok(caught instanceof Error, `expected an Error, got ${typeof caught}: ${String(caught)}`);
  assertCheckedError(caught);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

export async function assertRejects(fn, ...patterns) {
  let caught = null;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, `expected a rejection matching ${patterns.join(', ')}`);
  assert.ok(caught instanceof Error, `expected an Error, got ${typeof caught}: ${String(caught)}`);
  assertCheckedError(caught);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

// A small trainable model, to show the module still works after an error.
export async function trainSmallModel(seed = 3) {
  const m = aw.sequential({ layers: [aw.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }),
                                     aw.layers.dense({ units: 1 })], seed });
  try {
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const x = randomTensor([16, 3], seed);
    const y = randomTensor([16, 1], seed + 1);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, seed });
    assert.equal(h.history.loss.length, 2);
    assert.ok(h.history.loss.every(Number.isFinite));
    return h.history.loss;
  } finally {
    m.dispose();
  }
}
