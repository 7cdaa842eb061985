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

test('tsc --noEmit rejects type errors against the package types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attention-wasm-types-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'attention-wasm'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      files: ['bad.ts'],
    }));
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
