// Keras' text preprocessing pieces (Tokenizer, pad_sequences) with the same defaults, so a text
// task needs no other library. Pure string handling: it never touches wasm.

const DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

function checkOptions(options, known, owner) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${owner}: options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${owner}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
  return options;
}

class Tokenizer {
  constructor(options) {
    const o = checkOptions(options, ['numWords', 'oovToken', 'lower', 'filters', 'split', 'charLevel'], 'tokenizer');
    if (o.numWords !== undefined && o.numWords !== null && (!Number.isInteger(o.numWords) || o.numWords < 1)) {
      throw new Error(`tokenizer: option 'numWords' must be a positive integer, got ${o.numWords}`);
    }
    this.numWords = o.numWords ?? null;
    this.oovToken = o.oovToken ?? null;
    this.lower = o.lower ?? true;
    this.filters = o.filters ?? DEFAULT_FILTERS;
    this.split = o.split ?? ' ';
    this.charLevel = o.charLevel ?? false;
    this.wordCounts = new Map();
    this.wordIndex = new Map();
    this.indexWord = new Map();
    this.documentCount = 0;
  }

  // Keras' text_to_word_sequence: lower-case, replace every filter character by the split
  // string, split, drop empties.
  words(text) {
    if (typeof text !== 'string') throw new Error(`tokenizer: expected a string, got ${typeof text}`);
    let t = this.lower ? text.toLowerCase() : text;
    if (this.charLevel) return [...t];
    let cleaned = '';
    for (const ch of t) cleaned += this.filters.includes(ch) ? this.split : ch;
    return cleaned.split(this.split).filter((w) => w.length > 0);
  }

  fit(texts) {
    if (!Array.isArray(texts)) throw new Error('tokenizer.fit: expected an array of strings');
    for (const text of texts) {
      this.documentCount++;
      for (const w of this.words(text)) this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
    }
    // Most frequent first; ties keep first-seen order (Python's stable sort over an OrderedDict).
    const sorted = [...this.wordCounts.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
    const vocabulary = this.oovToken === null ? sorted : [this.oovToken, ...sorted.filter((w) => w !== this.oovToken)];
    this.wordIndex = new Map(vocabulary.map((w, i) => [w, i + 1]));
    this.indexWord = new Map(vocabulary.map((w, i) => [i + 1, w]));
    return this;
  }

  textsToSequences(texts) {
    if (!Array.isArray(texts)) throw new Error('tokenizer.textsToSequences: expected an array of strings');
    const oovIndex = this.oovToken === null ? null : this.wordIndex.get(this.oovToken);
    return texts.map((text) => {
      const out = [];
      for (const w of this.words(text)) {
        const i = this.wordIndex.get(w);
        if (i !== undefined && (this.numWords === null || i < this.numWords)) out.push(i);
        else if (oovIndex !== null && oovIndex !== undefined) out.push(oovIndex);
      }
      return out;
    });
  }

  sequencesToTexts(sequences) {
    return sequences.map((seq) => seq.filter((i) => i !== 0).map((i) => this.indexWord.get(i) ?? '').join(' '));
  }

  toJSON() {
    return {
      className: 'Tokenizer',
      config: { numWords: this.numWords, oovToken: this.oovToken, lower: this.lower, filters: this.filters,
                split: this.split, charLevel: this.charLevel },
      wordCounts: [...this.wordCounts.entries()],
      documentCount: this.documentCount,
    };
  }

  static fromJSON(json) {
    const value = typeof json === 'string' ? JSON.parse(json) : json;
    if (!value || value.className !== 'Tokenizer' || !Array.isArray(value.wordCounts)) {
      throw new Error('tokenizer.fromJSON: not a tokenizer saved by toJSON()');
    }
    const tok = new Tokenizer(value.config);
    // Refit from the saved counts so the index is rebuilt by the same rule.
    tok.wordCounts = new Map(value.wordCounts);
    tok.documentCount = value.documentCount ?? 0;
    tok.fit([]);
    tok.documentCount = value.documentCount ?? 0;
    return tok;
  }
}

export function tokenizer(options) {
  return new Tokenizer(options);
}
tokenizer.fromJSON = (json) => Tokenizer.fromJSON(json);

// Keras' pad_sequences -> an Int32 tensor (0 = padding).
export function padSequences(sequences, options) {
  const o = checkOptions(options, ['maxLen', 'padding', 'truncating', 'value'], 'padSequences');
  if (!Array.isArray(sequences)) throw new Error('padSequences: expected an array of sequences');
  const padding = o.padding ?? 'pre';
  const truncating = o.truncating ?? 'pre';
  for (const [key, v] of [['padding', padding], ['truncating', truncating]]) {
    if (v !== 'pre' && v !== 'post') throw new Error(`padSequences: option '${key}' must be 'pre' or 'post', got '${v}'`);
  }
  const maxLen = o.maxLen ?? Math.max(0, ...sequences.map((s) => s.length));
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new Error(`padSequences: option 'maxLen' must be a positive integer, got ${maxLen}`);
  }
  const value = o.value ?? 0;
  const data = new Int32Array(sequences.length * maxLen).fill(value);
  sequences.forEach((seq, row) => {
    if (!Array.isArray(seq) && !ArrayBuffer.isView(seq)) throw new Error(`padSequences: sequence ${row} is not an array`);
    const kept = seq.length <= maxLen ? Array.from(seq)
      : truncating === 'pre' ? Array.from(seq).slice(seq.length - maxLen) : Array.from(seq).slice(0, maxLen);
    const start = padding === 'pre' ? maxLen - kept.length : 0;
    kept.forEach((id, k) => {
      if (!Number.isInteger(id)) throw new Error(`padSequences: sequence ${row} holds a non-integer id ${id}`);
      data[row * maxLen + start + k] = id;
    });
  });
  return { data, shape: [sequences.length, maxLen] };
}

export const text = { tokenizer };
