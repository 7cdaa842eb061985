// The threaded variant (Node shares memory with worker threads, so init() picks it unless one
// thread is asked for) and the relaxed-SIMD modules (Node 20 validates them behind a flag). Each
// case runs in a child process, since init() loads one module per process: the module and thread
// count chosen, bit-identical weights for a seed and a thread count (dropout included), the same
// course across thread counts and modules, errors still reaching JS as checked Errors, and a
// process that exits by itself (the pool's workers do not hold it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Runs `body` (an async function's source, given aw) after init(options) in a fresh Node and
// returns what it printed as JSON.
// nodeFlags: e.g. Node 20's --experimental-wasm-relaxed-simd, without which it rejects relaxed SIMD.
function inChild(options, body, nodeFlags = []) {
  const source = `import { init } from 'attention-wasm';
    const aw = await init(${JSON.stringify(options)});
    const result = await (${body})(aw);
    console.log(JSON.stringify({ backend: aw.backend, threads: aw.threads, fused: aw.fusedMultiplyAdd, result }));`;
  const child = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', source], { cwd: root, encoding: 'utf8', timeout: 120000 });
  assert.equal(child.status, 0, `child failed (signal ${child.signal}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

// LSTM(32) over 40 steps -> attention -> dropout -> sigmoid: large enough a step to shard.
const trainBody = `async (aw) => {
  const L = aw.layers;
  const m = aw.sequential({ seed: 3, layers: [L.lstm({ units: 32, returnSequences: true, inputShape: [40, 4] }),
    L.attention({ units: 16 }), L.dropout({ rate: 0.2 }), L.dense({ units: 1, activation: 'sigmoid' })] });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  let s = 7;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const x = new Float32Array(128 * 40 * 4).map(rand);
  const y = new Float32Array(128).map((_, i) => (x[i * 160] > 0.5 ? 1 : 0));
  const h = await m.fit({ data: x, shape: [128, 40, 4] }, { data: y, shape: [128, 1] }, { epochs: 2, batchSize: 32, seed: 5 });
  return { loss: h.history.loss, weights: m.getWeights().map((w) => Array.from(w.data)) };
}`;

test('init picks the threaded variant in Node unless one thread is asked for', () => {
  const one = inChild({ threads: 1 }, 'async () => null');
  assert.deepEqual([one.backend, one.threads], ['wasm-simd128', 1]);
  const two = inChild({ threads: 2 }, 'async () => null');
  assert.deepEqual([two.backend, two.threads], ['wasm-simd128-threads', 2]);
  const auto = inChild({}, 'async () => null');
  assert.equal(auto.threads, Math.min(availableParallelism(), 4));
});

const RELAXED = ['--experimental-wasm-relaxed-simd'];

// Pages: the glue asks for its own link's .wasm name; the module init() chose is what a page's
// own locateFile (a host serving the package elsewhere) and the bundler-visible URLs must get.
test('each variant loads its shipped .wasm, through the caller\'s locateFile too', async () => {
  const { wasmFile, locateFileFor } = await import('../../dist/variant.js');
  assert.deepEqual([[1, false], [1, true], [2, false], [4, true]].map(([threads, relaxed]) => wasmFile({ threads, relaxed })),
    ['attention_wasm.wasm', 'attention_wasm_relaxed.wasm', 'attention_wasm_threads.wasm', 'attention_wasm_threads_relaxed.wasm']);
  const renames = { 'attention_wasm_threads_web.wasm': 'attention_wasm_threads_relaxed.wasm' };
  const cdn = locateFileFor((name, prefix) => `https://cdn.example/pkg/${name}?from=${prefix}`, renames, {});
  assert.equal(cdn('attention_wasm_threads_web.wasm', '/dist/'), 'https://cdn.example/pkg/attention_wasm_threads_relaxed.wasm?from=/dist/');
  assert.equal(cdn('attention_wasm_threads_web.worker.js', '/dist/'), 'https://cdn.example/pkg/attention_wasm_threads_web.worker.js?from=/dist/');
  const bundled = locateFileFor(undefined, renames, { 'attention_wasm_threads_relaxed.wasm': new URL('https://app.example/assets/x-123.wasm') });
  assert.equal(bundled('attention_wasm_threads_web.wasm', '/dist/'), 'https://app.example/assets/x-123.wasm');
  assert.equal(bundled('other.data', '/dist/'), '/dist/other.data');
});

test('init picks the relaxed-SIMD module where the host validates it, unless told not to', () => {
  for (const threads of [1, 2]) {
    const suffix = threads === 1 ? '' : '-threads';
    const plain = inChild({ threads }, 'async () => null');
    assert.deepEqual([plain.backend, plain.fused], [`wasm-simd128${suffix}`, false]);
    const relaxed = inChild({ threads }, 'async () => null', RELAXED);
    // This project's machines have FMA3, so relaxed madd fuses there.
    assert.deepEqual([relaxed.backend, relaxed.fused], [`wasm-relaxed-simd${suffix}`, true]);
    const keptPlain = inChild({ threads, relaxedSimd: false }, 'async () => null', RELAXED);
    assert.deepEqual([keptPlain.backend, keptPlain.fused], [`wasm-simd128${suffix}`, false]);
  }
  const source = `import { init } from 'attention-wasm';
    const messages = [];
    for (const relaxedSimd of [true, 'yes']) {
      try { await init({ relaxedSimd }); messages.push('loaded'); } catch (e) { messages.push(e.message); }
    }
    messages.push((await init({})).backend);
    console.log(JSON.stringify(messages));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: root, encoding: 'utf8', timeout: 60000 });
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  const messages = JSON.parse(child.stdout.trim());
  assert.match(messages[0], /^init: option 'relaxedSimd' is true, but this host does not validate relaxed SIMD/);
  assert.match(messages[1], /^init: option 'relaxedSimd' must be true or false, got "yes"/);
  assert.equal(messages[2], 'wasm-simd128-threads');
});

test('the relaxed-SIMD module trains to the same course with fused rounding, bit-identically per seed', () => {
  const body = trainBody.replace("L.dropout({ rate: 0.2 }), ", '');
  const plain = inChild({ threads: 2 }, body);
  const fused = inChild({ threads: 2 }, body, RELAXED);
  const again = inChild({ threads: 2 }, body, RELAXED);
  assert.deepEqual(fused.result.weights, again.result.weights);
  assert.notDeepEqual(plain.result.weights, fused.result.weights, 'the relaxed module trained without fused multiply-adds');
  let worst = 0;
  plain.result.weights.forEach((w, i) => w.forEach((v, j) => {
    worst = Math.max(worst, Math.abs(v - fused.result.weights[i][j]) / Math.max(1e-3, Math.abs(v)));
  }));
  assert.ok(worst < 1e-3, `weights of the two modules differ by ${worst}`);
});

test('a seed and a thread count give bit-identical weights; thread counts follow the same course', () => {
  const a = inChild({ threads: 2 }, trainBody);
  const b = inChild({ threads: 2 }, trainBody);
  assert.deepEqual(a.result.weights, b.result.weights);
  const single = inChild({ threads: 1 }, trainBody.replace("L.dropout({ rate: 0.2 }), ", ''));
  const dual = inChild({ threads: 2 }, trainBody.replace("L.dropout({ rate: 0.2 }), ", ''));
  assert.notDeepEqual(single.result.weights, dual.result.weights, 'two threads trained unsharded');
  let worst = 0;
  single.result.weights.forEach((w, i) => w.forEach((v, j) => {
    worst = Math.max(worst, Math.abs(v - dual.result.weights[i][j]) / Math.max(1e-3, Math.abs(v)));
  }));
  assert.ok(worst < 1e-3, `weights across thread counts differ by ${worst}`);
  assert.ok(Math.abs(single.result.loss[1] - dual.result.loss[1]) < 1e-4);
});

// aw.setThreads lowers the threads of the threaded module and raises them back: one thread of it
// trains as the single-threaded module does (the same kernels, unsharded), and back on two it
// trains as a fresh 2-thread module (the pool kept, not restarted). More threads than init()
// started, or any on the single-threaded module, is an Error naming the limit.
test('setThreads moves training between 1 thread and the threads init started', () => {
  const body = trainBody.replace("L.dropout({ rate: 0.2 }), ", '');
  const switched = inChild({ threads: 2 }, `async (aw) => {
    const train = ${body};
    const messages = [];
    for (const count of [3, 0, 1.5]) {
      try { aw.setThreads(count); messages.push('set'); } catch (e) { messages.push(e.message); }
    }
    const counts = [aw.setThreads(1), aw.threads];
    const one = await train(aw);
    counts.push(aw.setThreads(2), aw.threads);
    const two = await train(aw);
    return { messages, counts, one: one.weights, two: two.weights };
  }`);
  assert.match(switched.result.messages[0], /^setThreads: expected a whole number of threads from 1 to 2 .*got 3$/);
  assert.match(switched.result.messages[1], /got 0$/);
  assert.match(switched.result.messages[2], /got 1\.5$/);
  assert.deepEqual(switched.result.counts, [1, 1, 2, 2]);
  const single = inChild({ threads: 1 }, body);
  const dual = inChild({ threads: 2 }, body);
  assert.deepEqual(switched.result.one, single.result.weights, 'one thread of the threaded module is not the single-threaded training');
  assert.deepEqual(switched.result.two, dual.result.weights);
  const refused = inChild({ threads: 1 }, `async (aw) => { try { aw.setThreads(2); return 'set'; } catch (e) { return e.message; } }`);
  assert.match(refused.result, /^setThreads: expected a whole number of threads from 1 to 1 .*single-threaded module.*got 2$/);
});

// API.md: setFixedShards(k) cuts every batch into k shards whatever the thread count, so the
// single-threaded module, one thread of the threaded module and two threads train to the same
// bits (dropout included) and predict the same numbers; without it one thread trains unsharded
// (other bits). A count that is not a whole number in [0, 64] is a checked Error.
test('setFixedShards gives the same weights and predictions on any thread count', () => {
  const body = (threads) => `async (aw) => {
    const messages = [];
    for (const count of [2.5, -1, 65]) {
      try { aw.setFixedShards(count); messages.push('set'); } catch (e) { messages.push(e.message); }
    }
    const set = [aw.setFixedShards(3), aw.fixedShards];
    aw.setThreads(${threads});
    const trained = await (${trainBody.replace('return {', 'const p = m.predict({ data: x.subarray(0, 32 * 160), shape: [32, 40, 4] }, { batchSize: 32 }); return { predicted: Array.from(p.data),')})(aw);
    return { messages, set, ...trained };
  }`;
  const single = inChild({ threads: 1 }, body(1));
  const oneOfTwo = inChild({ threads: 2 }, body(1));
  const two = inChild({ threads: 2 }, body(2));
  assert.match(single.result.messages[0], /^setFixedShards: expected a whole number of shards from 0 \(one per thread\) to 64, got 2\.5$/);
  assert.match(single.result.messages[1], /got -1$/);
  assert.match(single.result.messages[2], /got 65$/);
  assert.deepEqual(single.result.set, [3, 3]);
  for (const other of [oneOfTwo, two]) {
    assert.deepEqual(other.result.weights, single.result.weights);
    assert.deepEqual(other.result.predicted, single.result.predicted);
  }
  const perThread = inChild({ threads: 1 }, trainBody);
  assert.notDeepEqual(perThread.result.weights, single.result.weights, 'fixed shards did not shard on one thread');
});

// API.md: setThreads applies from the next batch, also during fit (a step this size shards on
// 2 threads, as trainBody's does). Lowering it from a callback
// after the first epoch trains that epoch on 2 threads and the next on 1: the weights of two
// separate one-epoch fits at those counts, not those of 2 epochs on 2 threads.
test('setThreads takes effect within a running fit', () => {
  const out = inChild({ threads: 2 }, `async (aw) => {
    const L = aw.layers;
    const x = new Float32Array(96 * 40 * 4).map((_, i) => Math.sin(i * 0.37));
    const y = new Float32Array(96).map((_, i) => (x[i * 160] > 0 ? 1 : 0));
    const data = [{ data: x, shape: [96, 40, 4] }, { data: y, shape: [96, 1] }];
    const fresh = () => {
      const m = aw.sequential({ seed: 4, layers: [L.lstm({ units: 32, returnSequences: true, inputShape: [40, 4] }),
        L.attention({ units: 16 }), L.dense({ units: 1, activation: 'sigmoid' })] });
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      return m;
    };
    const options = { batchSize: 32, shuffle: false };
    const weights = (m) => m.getWeights().map((w) => Array.from(w.data));
    aw.setThreads(2);
    const switched = fresh();
    await switched.fit(...data, { ...options, epochs: 2, callbacks: { onEpochEnd: (epoch) => { if (epoch === 0) aw.setThreads(1); } } });
    aw.setThreads(2);
    const separate = fresh();
    await separate.fit(...data, { ...options, epochs: 1 });
    aw.setThreads(1);
    await separate.fit(...data, { ...options, epochs: 1 });
    aw.setThreads(2);
    const twoOnly = fresh();
    await twoOnly.fit(...data, { ...options, epochs: 2 });
    return { switched: weights(switched), separate: weights(separate), twoOnly: weights(twoOnly) };
  }`);
  assert.deepEqual(out.result.switched, out.result.separate);
  assert.notDeepEqual(out.result.switched, out.result.twoOnly, 'the second epoch ran on 2 threads');
});

test('the threaded variant reports bad input as checked Errors and keeps working', () => {
  const out = inChild({ threads: 2 }, `async (aw) => {
    const messages = [];
    for (const f of [() => aw.layers.dense({ units: 2, foo: 1 }),
      () => aw.sequential({ layers: [aw.layers.dense({ units: 2, inputShape: [3] })] }).predict({ data: new Float32Array(4), shape: [2, 2] })]) {
      try { f(); messages.push('no error'); } catch (e) { messages.push(e.message); }
    }
    return messages;
  }`);
  assert.match(out.result[0], /^dense: unknown option 'foo'/);
  assert.match(out.result[1], /^predict: input 0 .* expected shape \(None, 3\), got \(2, 2\)/);
});

test('init rejects a thread count that is not a positive integer, then loads when asked right', () => {
  const source = `import { init } from 'attention-wasm';
    const messages = [];
    for (const threads of [0, 1.5, '2']) {
      try { await init({ threads }); messages.push('loaded'); } catch (e) { messages.push(e.message); }
    }
    messages.push((await init({ threads: 2 })).threads);
    console.log(JSON.stringify(messages));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: root, encoding: 'utf8', timeout: 60000 });
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  const messages = JSON.parse(child.stdout.trim());
  for (const m of messages.slice(0, 3)) assert.match(m, /^init: option 'threads' must be a positive integer/);
  assert.equal(messages[3], 2);
});

// Pages load the threaded module's ES-module glue with the Node module's .wasm: the two links
// must keep giving the same bytes (same objects, flags that only change the glue).
test('the threaded ES-module glue and the Node glue drive byte-identical wasm', () => {
  const dist = new URL('../../dist/', import.meta.url);
  assert.ok(readFileSync(new URL('attention_wasm_threads_web.wasm', dist)).equals(readFileSync(new URL('attention_wasm_threads.wasm', dist))));
});
