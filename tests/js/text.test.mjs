// aw.text.tokenizer and aw.padSequences with Keras' semantics (keras.preprocessing.text.Tokenizer,
// pad_sequences), and Int32 token ids through an embedding with maskZero into attention.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aw, assertError, sameBits } from './support.mjs';

const texts = ['The cat sat on the mat.', 'The dog ate my homework!', 'the cat, the dog; THE END'];

test('tokenizer.fit: index by frequency, ties in first-seen order, lower-cased, filters applied', () => {
  const tok = aw.text.tokenizer();
  assert.equal(tok.fit(texts), tok);
  // Counts: the 5, cat 2, dog 2, then each once in order of appearance.
  assert.deepEqual([...tok.wordIndex.entries()],
    [['the', 1], ['cat', 2], ['dog', 3], ['sat', 4], ['on', 5], ['mat', 6], ['ate', 7], ['my', 8], ['homework', 9], ['end', 10]]);
  assert.equal(tok.indexWord.get(3), 'dog');
  assert.equal(tok.documentCount, 3);
  assert.equal(tok.wordCounts.get('the'), 6);
  assert.deepEqual(tok.textsToSequences(['The cat ate the END', 'unknown words vanish']), [[1, 2, 7, 1, 10], []]);
  assert.deepEqual(tok.sequencesToTexts([[0, 0, 1, 2], [3]]), ['the cat', 'dog']);
});

test('tokenizer: oovToken takes index 1; numWords keeps ids below numWords (Keras)', () => {
  const tok = aw.text.tokenizer({ numWords: 4, oovToken: '<unk>' });
  tok.fit(texts);
  assert.equal(tok.wordIndex.get('<unk>'), 1);
  assert.equal(tok.wordIndex.get('the'), 2);
  assert.equal(tok.wordIndex.get('cat'), 3);
  assert.equal(tok.wordIndex.get('dog'), 4, 'the index keeps every word; numWords applies when converting');
  // the=2, cat=3 are < 4; dog=4 and beyond become <unk>, as do unknown words.
  assert.deepEqual(tok.textsToSequences(['the cat dog sat zebra']), [[2, 3, 1, 1, 1]]);
  // Without oovToken, words at or beyond numWords are dropped.
  const plain = aw.text.tokenizer({ numWords: 3 }).fit(texts);
  assert.deepEqual(plain.textsToSequences(['the cat dog sat zebra']), [[1, 2]]);
});

test('tokenizer options: lower false, custom filters and split, charLevel', () => {
  const cased = aw.text.tokenizer({ lower: false }).fit(['A a A']);
  assert.deepEqual([...cased.wordIndex.keys()], ['A', 'a']);
  const csv = aw.text.tokenizer({ split: ',', filters: '' }).fit(['x y,z,x y']);
  assert.deepEqual([...csv.wordIndex.entries()], [['x y', 1], ['z', 2]]);
  const chars = aw.text.tokenizer({ charLevel: true }).fit(['abca']);
  assert.deepEqual([...chars.wordIndex.entries()], [['a', 1], ['b', 2], ['c', 3]]);
  assertError(() => aw.text.tokenizer({ numWord: 3 }), /tokenizer: unknown option 'numWord'/);
  assertError(() => aw.text.tokenizer({ numWords: 0 }), /tokenizer: option 'numWords' must be a positive integer/);
  assertError(() => aw.text.tokenizer().fit('not an array'), /tokenizer.fit: expected an array of strings/);
  assertError(() => aw.text.tokenizer().fit([42]), /tokenizer: expected a string, got number/);
});

test('tokenizer.toJSON / fromJSON: same index and sequences, through a JSON string too', () => {
  const tok = aw.text.tokenizer({ numWords: 6, oovToken: '<oov>', lower: true });
  tok.fit(texts);
  const json = tok.toJSON();
  for (const restored of [aw.text.tokenizer.fromJSON(json), aw.text.tokenizer.fromJSON(JSON.stringify(json))]) {
    assert.deepEqual([...restored.wordIndex.entries()], [...tok.wordIndex.entries()]);
    assert.equal(restored.documentCount, tok.documentCount);
    assert.equal(restored.numWords, 6);
    assert.equal(restored.oovToken, '<oov>');
    assert.deepEqual(restored.textsToSequences(texts), tok.textsToSequences(texts));
    assert.deepEqual(restored.toJSON(), json);
  }
  assertError(() => aw.text.tokenizer.fromJSON({ className: 'Model' }), /tokenizer.fromJSON: not a tokenizer/);
});

test('padSequences: pre/post padding and truncating, maxLen default, value, Int32 output', () => {
  const seqs = [[1, 2, 3], [4], [5, 6, 7, 8, 9]];
  const pre = aw.padSequences(seqs);
  assert.ok(pre.data instanceof Int32Array);
  assert.deepEqual(pre.shape, [3, 5]);
  assert.deepEqual([...pre.data], [0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7, 8, 9]);
  const post = aw.padSequences(seqs, { maxLen: 4, padding: 'post' });
  // truncating defaults to 'pre': the longest sequence loses its first item.
  assert.deepEqual([...post.data], [1, 2, 3, 0, 4, 0, 0, 0, 6, 7, 8, 9]);
  const truncPost = aw.padSequences(seqs, { maxLen: 2, truncating: 'post' });
  assert.deepEqual([...truncPost.data], [1, 2, 0, 4, 5, 6]);
  const truncPre = aw.padSequences(seqs, { maxLen: 2, truncating: 'pre', padding: 'post' });
  assert.deepEqual([...truncPre.data], [2, 3, 4, 0, 8, 9]);
  assert.deepEqual([...aw.padSequences([[1]], { maxLen: 3, value: 7 }).data], [7, 7, 1]);
  assert.deepEqual([...aw.padSequences([Int32Array.of(3, 4)], { maxLen: 3 }).data], [0, 3, 4]);
  assertError(() => aw.padSequences(seqs, { padding: 'middle' }), /padSequences: option 'padding' must be 'pre' or 'post'/);
  assertError(() => aw.padSequences(seqs, { truncating: 'end' }), /padSequences: option 'truncating'/);
  assertError(() => aw.padSequences(seqs, { maxlen: 3 }), /padSequences: unknown option 'maxlen'/);
  assertError(() => aw.padSequences([[1.5]]), /padSequences: sequence 0 holds a non-integer id 1.5/);
  assertError(() => aw.padSequences('abc'), /padSequences: expected an array of sequences/);
});

test('text classification: tokenizer -> padSequences -> Int32 ids -> embedding(maskZero) -> attention', async () => {
  const corpus = ['good great fine', 'bad awful', 'great good', 'awful bad terrible', 'fine good', 'terrible bad'];
  const labels = [1, 0, 1, 0, 1, 0];
  const tok = aw.text.tokenizer({ oovToken: '<unk>' }).fit(corpus);
  const x = aw.padSequences(tok.textsToSequences(corpus), { maxLen: 5 });
  const y = { data: Float32Array.from(labels), shape: [6, 1] };
  const inputs = aw.input({ shape: [5], dtype: 'int32' });
  const e = aw.layers.embedding({ inputDim: tok.wordIndex.size + 1, outputDim: 8, maskZero: true }).apply(inputs);
  const h = aw.layers.lstm({ units: 8, returnSequences: true }).apply(e);
  const c = aw.layers.additiveSelfAttention({ name: 'att' }).apply(h);
  const out = aw.layers.dense({ units: 1, activation: 'sigmoid' }).apply(c);
  const model = aw.model({ inputs, outputs: out, seed: 3 });
  try {
    model.compile({ optimizer: { type: 'adam', learningRate: 0.05 }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h0 = await model.fit(x, y, { epochs: 30, batchSize: 6, seed: 1 });
    assert.ok(h0.history.loss.at(-1) < h0.history.loss[0] * 0.5, `loss ${h0.history.loss[0]} -> ${h0.history.loss.at(-1)}`);
    assert.equal(model.evaluate(x, y).accuracy, 1);
    // Padded steps get exactly zero attention weight.
    const a = model.getAttention(x);
    assert.deepEqual(a.shape, [6, 5]);
    for (let s = 0; s < 6; s++) {
      for (let t = 0; t < 5; t++) {
        if (x.data[s * 5 + t] === 0) assert.equal(a.data[s * 5 + t], 0, `sample ${s} step ${t} is padding`);
        else assert.ok(a.data[s * 5 + t] > 0);
      }
    }
    // Int32 ids and the same ids as floats give the same predictions (ids are stored as floats).
    assert.ok(sameBits(model.predict(x).data, model.predict({ data: Float32Array.from(x.data), shape: x.shape }).data));
    // An id outside the vocabulary is reported with the layer's name.
    const bad = { data: Int32Array.from(x.data), shape: x.shape };
    bad.data[4] = 999;
    assertError(() => model.predict(bad), /embedding/, /999/);
  } finally {
    model.dispose();
  }
});
