// Model files shared with the native build (tests/js/fixtures): a file saved natively
// (tests/io/test_js_interop.cpp) loads here and predicts what the native build predicted, within
// 1e-4 (FMA and summation order differ between the builds); the file this package saved
// (make-fixture.mjs), which the native test loads, still predicts its recorded outputs here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { aw, assertClose } from './support.mjs';

const fixture = (name) => new URL(`fixtures/${name}`, import.meta.url);
const tensorOf = (j) => ({ data: Float32Array.from(j.data), shape: j.shape });

test('a model saved by the native build loads in wasm with the same predictions', () => {
  const expected = JSON.parse(readFileSync(fixture('native_model.expected.json'), 'utf8'));
  const model = aw.loadModel(new Uint8Array(readFileSync(fixture('native_model.atwm'))));
  try {
    assert.equal(model.inputCount, 2);
    const xs = expected.inputs.map(tensorOf);
    const p = model.predict(xs);
    assert.deepEqual(p.shape, expected.predictions.shape);
    assertClose(p.data, expected.predictions.data, 1e-4, 'predictions');
    const a = model.getAttention(xs, { layer: 'mha' });
    assert.deepEqual(a.shape, expected.attention.shape);
    assertClose(a.data, expected.attention.data, 1e-4, 'attention');
  } finally {
    model.dispose();
  }
});

test('the model this package saved still loads and predicts its recorded outputs', () => {
  const expected = JSON.parse(readFileSync(fixture('js_model.expected.json'), 'utf8'));
  const bytes = new Uint8Array(readFileSync(fixture('js_model.atwm')));
  const model = aw.loadModel(bytes);
  try {
    const x = { data: Int32Array.from(expected.input.data), shape: expected.input.shape };
    assertClose(model.predict(x).data, expected.predictions.data, 1e-4, 'predictions');
    assertClose(model.getAttention(x, { layer: 'attn' }).data, expected.attention.data, 1e-4, 'attention');
    // Loading and saving again reproduces the file byte for byte (config, weights, optimizer state).
    assert.deepEqual(model.save(), bytes);
  } finally {
    model.dispose();
  }
});
