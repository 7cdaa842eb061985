// docs/API.md names every function the package exports and every model method; the C++ test
// tests/layers/test_api_reference.cpp checks the layer factories and their options.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as pkg from 'attention-wasm';
import * as viz from 'attention-wasm/viz';
import { aw } from './support.mjs';

const doc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
const documented = (name) => doc.includes(name);

test('docs/API.md names every export, layer factory and model member', () => {
  const missing = [];
  for (const name of Object.keys(pkg)) if (!documented(name)) missing.push(`export ${name}`);
  for (const name of Object.keys(viz)) if (!documented(name)) missing.push(`viz ${name}`);
  for (const name of Object.keys(aw)) if (!documented(`aw.${name}`)) missing.push(`aw.${name}`);
  for (const name of Object.keys(aw.layers)) if (!documented(`\`${name}\``)) missing.push(`layers.${name}`);
  const model = aw.sequential({ layers: [aw.layers.dense({ units: 1, inputShape: [2] })] });
  try {
    let proto = Object.getPrototypeOf(model);
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && !documented(`model.${name}`)) missing.push(`model.${name}`);
    }
  } finally {
    model.dispose();
  }
  assert.deepEqual(missing, []);
});
