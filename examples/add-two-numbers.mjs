// Add two numbers after delimiters (the `attention` package's example): x = [.3 .7 0 .4 .9 ...],
// y = mean of the two numbers that follow a 0. LSTM -> Attention(bahdanau) -> Dense(1).
// Every few epochs prints the attention of a few test sequences under the ground truth ('^'),
// the text version of the original's animated attention map.
//   node examples/add-two-numbers.mjs [--epochs 20] [--score luong] [--cell gru]
import { init } from 'attention-wasm';

import { settings, train } from './cli.mjs';
import { attentionByRow, head, makeTask } from '../web/tasks.mjs';

const s = settings('add');
const aw = await init();
const task = makeTask('add', { samples: s.samples, seed: s.seed });
console.log(task.describe);
const model = task.build(aw, s);
model.summary();

const probe = head(task.data.xTest, 4);
const SHADES = ' .:-=+*#%@';
function show(title) {
  const rows = attentionByRow(task, model.getAttention(probe, { layer: 'attention' }), probe);
  console.log(`  ${title}`);
  for (const r of rows) {
    const max = Math.max(...r.weights);
    const map = Array.from(r.weights, (w) => SHADES[Math.min(9, Math.round((w / max) * 9))]).join('');
    const truth = Array.from(r.weights, (_, t) => (r.expected.includes(t) ? '^' : ' ')).join('');
    console.log(`    [${map}]  peak ${String(r.peak).padStart(2)} ${r.hit ? 'ok' : '  '}\n    [${truth}]`);
  }
}
show('attention before training (^ = the numbers to add)');
await train(model, task, s, (epoch) => {
  if ((epoch + 1) % 5 === 0 || epoch + 1 === s.epochs) show(`attention after epoch ${epoch + 1}`);
});
const rows = attentionByRow(task, model.getAttention(task.data.xTest, { layer: 'attention' }), task.data.xTest);
console.log(`\npeak on one of the two numbers in ${rows.filter((r) => r.hit).length} of ${rows.length} test sequences`);
model.dispose();
