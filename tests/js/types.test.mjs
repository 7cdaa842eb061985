// The hand-written .d.ts files against tests/js/types-usage.ts (the whole API, typed) with
// `tsc --noEmit`; and proof that the check bites: a file with a type error must fail it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The repository's TypeScript (a devDependency), also for the temporary project below.
const tscBin = join(root, 'node_modules', '.bin', 'tsc');
function tsc(cwd, args) {
  const run = spawnSync(tscBin, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('tsc --noEmit accepts the typed use of the whole API (and every expect-error is an error)', () => {
  const { status, output } = tsc(root, ['--noEmit', '-p', 'tests/js']);
  assert.equal(status, 0, output);
});

// A throwaway project that depends on the package (a symlink to this repository).
function project(compilerOptions, file, source) {
  const dir = mkdtempSync(join(tmpdir(), 'attention-wasm-types-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'attention-wasm'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'dom'], types: [], ...compilerOptions },
    files: [file],
  }));
  writeFileSync(join(dir, file), source);
  return dir;
}

test('the types also resolve for bundler projects (moduleResolution: bundler), viz entry included', () => {
  const dir = project({ module: 'esnext', moduleResolution: 'bundler' }, 'app.ts', [
    "import { init, type Tensor } from 'attention-wasm';",
    "import { renderHeatmap } from 'attention-wasm/viz';",
    'const aw = await init();',
    "const t: Tensor = aw.padSequences([[1, 2]], { maxLen: 4 });",
    "renderHeatmap(document.body, t);",
    'export {};',
  ].join('\n'));
  try {
    const { status, output } = tsc(dir, ['--noEmit', '-p', '.']);
    assert.equal(status, 0, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tsc --noEmit rejects type errors against the package types', () => {
  const dir = project({ module: 'nodenext', moduleResolution: 'nodenext' }, 'bad.ts', '');
  try {
    writeFileSync(join(dir, 'bad.ts'), [
      "import { init } from 'attention-wasm';",
      'const aw = await init();',
      'const version: number = aw.version;',
      "aw.layers.lstm({ units: '4' });",
      "const m = aw.sequential({ layers: [aw.layers.dense({ units: 1, inputShape: [2] })] });",
      "m.compile({ optimizer: 'adam', loss: 'crossEntropy' });",
      'export { version };',
    ].join('\n'));
    const { status, output } = tsc(dir, ['--noEmit', '-p', '.']);
    assert.notEqual(status, 0, 'tsc must fail');
    assert.match(output, /bad\.ts\(3,7\).*TS2322/, output);
    assert.match(output, /bad\.ts\(4,/, output);
    assert.match(output, /bad\.ts\(6,/, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
