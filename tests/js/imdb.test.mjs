// examples/imdb.mjs on a small archive of the Stanford aclImdb layout, made here with `tar`:
// it reads the archive (gzip + tar), runs the attention package's protocol (one seed, one epoch,
// short reviews) and prints both models at ~249K parameters and the results table.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { rng } from '../../web/tasks.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('examples/imdb.mjs reads an aclImdb_v1.tar.gz layout and runs the protocol at equal parameter counts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imdb-'));
  try {
    const r = rng(5);
    const filler = ['the', 'film', 'was', 'a', 'story', 'about', 'people', 'and', 'their', 'day', 'it', 'had', 'scenes'];
    for (const part of ['train', 'test']) {
      for (const [label, word] of [['pos', 'wonderful'], ['neg', 'dreadful']]) {
        const folder = join(dir, 'aclImdb', part, label);
        mkdirSync(folder, { recursive: true });
        for (let i = 0; i < 40; i++) {
          const words = Array.from({ length: 15 }, () => filler[r.int(0, filler.length)]);
          words.splice(r.int(0, words.length), 0, word);
          writeFileSync(join(folder, `${i}_${label === 'pos' ? 8 : 2}.txt`), `${words.join(' ')}.<br /><br />The end.`);
        }
      }
    }
    mkdirSync(join(dir, 'aclImdb', 'train', 'unsup'), { recursive: true });  // unlabelled: skipped
    writeFileSync(join(dir, 'aclImdb', 'train', 'unsup', '0_0.txt'), 'no label here');
    writeFileSync(join(dir, 'aclImdb', 'README'), 'a small archive of the same layout');
    const archive = join(dir, 'aclImdb_v1.tar.gz');
    const made = spawnSync('tar', ['czf', archive, '-C', dir, 'aclImdb']);
    assert.equal(made.status, 0, String(made.stderr));
    const run = spawnSync(process.execPath, ['examples/imdb.mjs', '--archive', archive, '--seeds', '1', '--epochs', '2', '--maxLen', '24'],
      { cwd: root, encoding: 'utf8', timeout: 300_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /: 80 train, 80 test; 5000 words, length 24; 2 epochs, batch 64; 1 seed\(s\)/);
    const params = [...run.stdout.matchAll(/: (\d+) parameters/g)].map((m) => Number(m[1]));
    assert.equal(params.length, 2, run.stdout);
    assert.ok(Math.abs(params[0] - params[1]) / params[0] < 0.001 && params[0] > 248000, `parameter counts ${params}`);
    assert.match(run.stdout, /\| mean of the runs' max accuracy \| \d+\.\d\d \| \d+\.\d\d \|/);
    // A path that is not an archive is reported.
    writeFileSync(join(dir, 'broken.tar.gz'), 'not gzip');
    const bad = spawnSync(process.execPath, ['examples/imdb.mjs', '--archive', join(dir, 'broken.tar.gz'), '--seeds', '1'],
      { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /incorrect header check|not in gzip format/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
