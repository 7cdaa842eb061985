// Find the max (the `attention` package's example): LSTM -> Attention(luong) -> Dense(1)
// regresses the largest of 10 numbers. Prints, per epoch, a test sequence with the attention
// on each number, and at the end how often the attention peaks on the maximum.
//   node examples/find-max.mjs [--epochs 15] [--score bahdanau] [--cell gru] [--units 32]
import { init } from 'attention-wasm';

import { settings, train } from './cli.mjs';
import { attentionByRow, bars, head, makeTask, row } from '../web/tasks.mjs';

const s = settings('max');
const aw = await init();
const task = makeTask('max', { samples: s.samples, seed: s.seed });
console.log(task.describe);
const model = task.build(aw, s);
model.summary();

const probe = head(task.data.xTest, 1);
await train(model, task, s, () => {
  const [r] = attentionByRow(task, model.getAttention(probe, { layer: 'attention' }), probe);
  const x = Array.from(row(probe, 0), (v) => v.toFixed(2)).join(' ');
  console.log(`    x = ${x}\n    attention peak at ${r.peak} (max at ${r.expected[0]})`);
});
const [r] = attentionByRow(task, model.getAttention(probe, { layer: 'attention' }), probe);
console.log('\nattention on the first test sequence (value: weight):');
console.log(bars(r.weights, Array.from(row(probe, 0), (v) => v.toFixed(2))));
const rows = attentionByRow(task, model.getAttention(task.data.xTest, { layer: 'attention' }), task.data.xTest);
console.log(`\npeak on the maximum in ${rows.filter((x) => x.hit).length} of ${rows.length} test sequences; ` +
  `test ${JSON.stringify(model.evaluate(task.data.xTest, task.data.yTest))}`);
model.dispose();
