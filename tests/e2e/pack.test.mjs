// The npm package as users get it: `npm pack` -> a tarball holding exactly what the package
// needs -> `npm install <tarball>` into an empty project, used from
//   (a) a Node ES module,
//   (b) a page bundled by Vite (which must emit the .wasm itself), in headless Chromium,
//   (c) a Web Worker of that page (also under Vite's dev server),
// with model files crossing between Node and the browser both ways (same build: same bits).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';

import { init } from 'attention-wasm';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'attention-wasm-pack-'));
const app = join(work, 'app');
let tarball = null;
let packed = null;

function run(command, args, cwd, timeout = 90_000) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  assert.ok(existsSync(join(root, 'dist', 'attention_wasm.wasm')), 'build dist/ first: bash scripts/build.sh wasm');
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root));
  tarball = join(work, packed.filename);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', tarball], app);
});

after(() => rmSync(work, { recursive: true, force: true }));

// Files reachable from package.json's exports: ES imports, the .wasm the glue loads, type imports,
// CommonJS scripts required from them.
function reachableFiles(manifest) {
  const entries = [];
  const walk = (v) => { if (typeof v === 'string') entries.push(v); else if (v) Object.values(v).forEach(walk); };
  walk(manifest.exports);
  const seen = new Set();
  const visit = (rel) => {
    const path = normalize(rel).replace(/^\.\//, '');
    if (seen.has(path)) return;
    seen.add(path);
    if (!/\.(m?js|d\.ts)$/.test(path)) return;
    const source = readFileSync(join(root, path), 'utf8');
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      visit(dir + (path.endsWith('.d.ts') && spec.endsWith('.js') ? spec.replace(/\.js$/, '.d.ts') : spec));
    }
    for (const [, asset] of source.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)) visit(dir + asset);
    // CommonJS loaded from an ES module (the threaded module's classic-script glue).
    for (const [, script] of source.matchAll(/createRequire\([^)]*\)\(\s*['"](\.[^'"]+)['"]\s*\)/g)) visit(dir + script);
  };
  entries.forEach(visit);
  return seen;
}

test('npm pack: the tarball holds exactly the files the package needs', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const files = packed.files.map((f) => f.path).sort();
  const needed = [...reachableFiles(manifest)].sort();
  const extra = files.filter((f) => !needed.includes(f) && !['package.json', 'README.md', 'LICENSE'].includes(f));
  const missing = needed.filter((f) => !files.includes(f));
  assert.deepEqual(missing, [], 'every file the entry points import is packed');
  assert.deepEqual(extra, [], 'nothing else is packed');
  assert.ok(files.includes('dist/attention_wasm.wasm'));
  assert.ok(files.includes('README.md'));
  // Four modules (SIMD128 and relaxed SIMD, one and several threads); a page downloads one.
  assert.ok(packed.size < 2_000_000, `tarball ${packed.size} bytes`);
});

// (a) Node, from the installed tarball. It also trains and saves a model whose bytes the
// browser must load.
const nodeScript = `
import { writeFileSync } from 'node:fs';
import { init, padSequences } from 'attention-wasm';
const aw = await init();
const x = { data: Float32Array.from({ length: 16 * 6 * 2 }, (_, i) => Math.sin(i * 0.37)), shape: [16, 6, 2] };
const y = { data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), shape: [16, 1] };
function build() {
  const input = aw.input({ shape: [6, 2] });
  const h = aw.layers.gru({ units: 6, returnSequences: true }).apply(input);
  const c = aw.layers.attention({ units: 4, score: 'bahdanau', name: 'attn' }).apply(h);
  return aw.model({ inputs: input, outputs: aw.layers.dense({ units: 1 }).apply(c), seed: 3 });
}
const model = build();
model.compile({ optimizer: 'adam', loss: 'mse' });
const history = await model.fit(x, y, { epochs: 3, batchSize: 4, seed: 9 });
const prediction = model.predict(x);
writeFileSync('node-model.atwm', model.save());
console.log(JSON.stringify({ version: aw.version, backend: aw.backend, threads: aw.threads, loss: history.history.loss,
  prediction: [...prediction.data], attention: [...model.getAttention(x).data],
  padded: [...padSequences([[1, 2]], { maxLen: 3 }).data], x: [...x.data], y: [...y.data] }));
`;

let nodeRun = null;
test('(a) a Node ES module uses the installed package', () => {
  writeFileSync(join(app, 'node-app.mjs'), nodeScript);
  // Relaxed SIMD, as Chromium runs it (Node 20 validates it behind this flag), so that the browser
  // below must reproduce these numbers bit for bit.
  nodeRun = JSON.parse(run('node', ['--experimental-wasm-relaxed-simd', 'node-app.mjs'], app));
  assert.match(nodeRun.version, /^\d+\.\d+\.\d+$/);
  // Node trains on the threaded variant (unless the machine has one core); its numbers are the
  // single-threaded module's (this step is too small to shard), which the browser checks below.
  assert.equal(nodeRun.backend, nodeRun.threads > 1 ? 'wasm-relaxed-simd-threads' : 'wasm-relaxed-simd');
  assert.equal(nodeRun.loss.length, 3);
  assert.ok(nodeRun.loss[2] < nodeRun.loss[0]);
  assert.equal(nodeRun.prediction.length, 16);
  assert.deepEqual(nodeRun.padded, [0, 1, 2]);
});

// (b) + (c): a Vite app. The page's own module uses the package on the main thread; its worker
// (bundled by Vite as well) trains, predicts and loads bytes handed over from Node.
const pageHtml = `<!doctype html><html><head><meta charset="utf-8"><title>pack test</title></head>
<body><div id="status">loading</div><script type="module" src="./main.js"></script></body></html>`;
const mainJs = `
import { init } from 'attention-wasm';
import { renderHeatmap } from 'attention-wasm/viz';
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let next = 0;
const pending = new Map();
worker.onmessage = ({ data }) => { pending.get(data.id)(data); pending.delete(data.id); };
worker.onerror = (e) => { document.getElementById('status').textContent = 'worker error: ' + e.message; };
window.callWorker = (message) => new Promise((resolve) => { const id = next++; pending.set(id, resolve); worker.postMessage({ ...message, id }); });
window.mainThread = async () => {
  const aw = await init();
  const model = aw.sequential({ layers: [aw.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })], seed: 1 });
  const p = model.predict([[1, 2, 3]]);
  const canvas = renderHeatmap(document.body, { data: p.data, shape: [1, 2] });
  model.dispose();
  return { backend: aw.backend, version: aw.version, prediction: [...p.data], canvas: canvas.width > 0 && canvas.height > 0 };
};
document.getElementById('status').textContent = 'ready';
`;
const workerJs = `
import { init } from 'attention-wasm';
const awReady = init();
function build(aw) {
  const input = aw.input({ shape: [6, 2] });
  const h = aw.layers.gru({ units: 6, returnSequences: true }).apply(input);
  const c = aw.layers.attention({ units: 4, score: 'bahdanau', name: 'attn' }).apply(h);
  return aw.model({ inputs: input, outputs: aw.layers.dense({ units: 1 }).apply(c), seed: 3 });
}
self.onmessage = async ({ data }) => {
  const reply = (body) => self.postMessage({ id: data.id, ...body });
  try {
    const aw = await awReady;
    const x = { data: Float32Array.from(data.x), shape: [16, 6, 2] };
    if (data.cmd === 'load') {
      const model = aw.loadModel(Uint8Array.from(data.bytes));
      reply({ prediction: [...model.predict(x).data], attention: [...model.getAttention(x).data] });
      model.dispose();
    } else if (data.cmd === 'train') {
      const y = { data: Float32Array.from(data.y), shape: [16, 1] };
      const model = build(aw);
      model.compile({ optimizer: 'adam', loss: 'mse' });
      let batches = 0;
      const history = await model.fit(x, y, { epochs: 3, batchSize: 4, seed: 9, callbacks: { onBatchEnd() { batches++; } } });
      reply({ backend: aw.backend, batches, loss: history.history.loss, prediction: [...model.predict(x).data], bytes: [...model.save()] });
      model.dispose();
    }
  } catch (error) {
    reply({ error: String(error && error.message || error) });
  }
};
`;

function serve(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

test('(b) Vite bundles the page and emits the .wasm; (c) the worker trains; bytes cross Node <-> browser', { timeout: 120_000 }, async (t) => {
  assert.ok(nodeRun, 'needs the Node run above');
  const web = join(app, 'web');
  mkdirSync(web);
  writeFileSync(join(web, 'index.html'), pageHtml);
  writeFileSync(join(web, 'main.js'), mainJs);
  writeFileSync(join(web, 'worker.js'), workerJs);
  // Vite's defaults (its iife worker format included): only where the page is and where to write.
  writeFileSync(join(app, 'vite.config.mjs'), "export default { root: 'web', base: './', build: { outDir: '../site', emptyOutDir: true }, logLevel: 'warn' };\n");
  run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], app);
  const site = join(app, 'site');
  const assets = readdirSync(join(site, 'assets'));
  // All four modules are emitted (threaded for cross-origin isolated pages, SIMD128 for browsers
  // without relaxed SIMD); the page below is not isolated, and Chromium validates relaxed SIMD:
  // it must download the single-threaded relaxed module and nothing else.
  const wasm = assets.filter((f) => f.endsWith('.wasm'));
  const emitted = (name) => wasm.filter((f) => new RegExp(`^${name}-[\\w-]+\\.wasm$`).test(f));
  for (const name of ['attention_wasm', 'attention_wasm_relaxed', 'attention_wasm_threads', 'attention_wasm_threads_relaxed']) {
    assert.equal(emitted(name).length, 1, `Vite emitted ${name}.wasm: ${assets}`);
  }
  assert.equal(wasm.length, 4, `Vite emitted the four modules only: ${assets}`);
  const single = emitted('attention_wasm_relaxed');
  assert.deepEqual(readFileSync(join(site, 'assets', single[0])), readFileSync(join(app, 'node_modules', 'attention-wasm', 'dist', 'attention_wasm_relaxed.wasm')));
  assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `Vite bundled the worker: ${assets}`);
  // What a browser downloads from this build (README's payload table).
  for (const f of assets) {
    const bytes = readFileSync(join(site, 'assets', f));
    t.diagnostic(`vite asset ${f}: ${bytes.length} B raw, ${gzipSync(bytes, { level: 9 }).length} B gzip`);
  }

  const { chromium } = await import('playwright-core');
  const server = await serve(site);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    const requested = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => document.getElementById('status').textContent !== 'loading', null, { timeout: 20_000 });

    // (b) main thread of the Vite page
    const main = await page.evaluate(() => window.mainThread());
    assert.equal(main.backend, 'wasm-relaxed-simd');
    assert.equal(main.version, nodeRun.version);
    assert.equal(main.prediction.length, 2);
    assert.ok(Math.abs(main.prediction[0] + main.prediction[1] - 1) < 1e-6);
    assert.ok(main.canvas, 'the viz entry drew a heatmap');

    // Node -> browser: the worker loads the bytes Node saved and predicts the same bits.
    const nodeBytes = [...readFileSync(join(app, 'node-model.atwm'))];
    const loaded = await page.evaluate((m) => window.callWorker(m), { cmd: 'load', bytes: nodeBytes, x: nodeRun.x });
    assert.equal(loaded.error, undefined, loaded.error);
    assert.deepEqual(loaded.prediction, nodeRun.prediction);
    assert.deepEqual(loaded.attention, nodeRun.attention);

    // (c) the worker trains the same model with the same seeds: same losses and predictions as Node.
    const trained = await page.evaluate((m) => window.callWorker(m), { cmd: 'train', x: nodeRun.x, y: nodeRun.y });
    assert.equal(trained.error, undefined, trained.error);
    assert.equal(trained.backend, 'wasm-relaxed-simd');
    assert.equal(trained.batches, 12);
    assert.deepEqual(trained.loss, nodeRun.loss, 'same seed, same build: the same training in Chromium and Node');
    assert.deepEqual(trained.prediction, nodeRun.prediction);

    // Browser -> Node: the worker's file loads here (the SIMD128 module: this test runs without
    // the flag) and predicts what the worker predicted, to float rounding.
    const aw = await init();
    const model = aw.loadModel(Uint8Array.from(trained.bytes));
    try {
      const p = model.predict({ data: Float32Array.from(nodeRun.x), shape: [16, 6, 2] });
      [...p.data].forEach((v, i) => assert.ok(Math.abs(v - trained.prediction[i]) <= 1e-5 * Math.max(1, Math.abs(v)),
        `prediction ${i}: ${v} here, ${trained.prediction[i]} in the worker`));
    } finally {
      model.dispose();
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(requested.filter((url) => url.includes('threads')), [], 'a page on one thread fetched the threaded module');
    assert.deepEqual(requested.filter((url) => url.endsWith('.wasm')).map((url) => /(attention_wasm[a-z_]*)-[\w-]+\.wasm$/.exec(url)?.[1] ?? url),
      ['attention_wasm_relaxed', 'attention_wasm_relaxed'], 'the page and its worker fetched the relaxed module, and only it');

    // Vite's dev server, with the one setting README asks for (its dependency pre-bundling would
    // move the glue away from the .wasm): the page and its worker load the module too.
    writeFileSync(join(app, 'vite.dev.config.mjs'), "export default { root: 'web', optimizeDeps: { exclude: ['attention-wasm'] }, logLevel: 'info' };\n");
    const port = await freePort();
    const dev = spawn(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), '--config', 'vite.dev.config.mjs',
      '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise((resolve, reject) => {
        let log = '';
        const timer = setTimeout(() => reject(new Error(`vite dev did not start:\n${log}`)), 20_000);
        const onData = (chunk) => { log += chunk; if (log.includes(`${port}`)) { clearTimeout(timer); resolve(); } };
        dev.stdout.on('data', onData);
        dev.stderr.on('data', onData);
        dev.on('exit', (code) => reject(new Error(`vite dev exited (${code}):\n${log}`)));
      });
      const devPage = await browser.newPage();
      await devPage.goto(`http://127.0.0.1:${port}/`);
      await devPage.waitForFunction(() => document.getElementById('status').textContent !== 'loading', null, { timeout: 30_000 });
      const devMain = await devPage.evaluate(() => window.mainThread());
      assert.equal(devMain.backend, 'wasm-relaxed-simd');
      const devLoaded = await devPage.evaluate((m) => window.callWorker(m), { cmd: 'load', bytes: nodeBytes, x: nodeRun.x });
      assert.equal(devLoaded.error, undefined, devLoaded.error);
      assert.deepEqual(devLoaded.prediction, nodeRun.prediction);
    } finally {
      dev.kill();
    }
  } finally {
    await browser.close();
    server.close();
  }
});

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}
