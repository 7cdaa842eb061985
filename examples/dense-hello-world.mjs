// Dense hello world (keras-attention-mechanism): 32 inputs, input #1 is the binary target,
// the rest noise. Prints the attention vector averaged over the test inputs, as the original
// plotted it: one tall bar at #1.
//   node examples/dense-hello-world.mjs [--epochs 10] [--units 64] [--samples 4000]
import { init } from 'attention-wasm';

import { settings, train } from './cli.mjs';
import { attentionRows, bars, makeTask } from '../web/tasks.mjs';

const s = settings('dense');
const aw = await init();
const task = makeTask('dense', { samples: s.samples, seed: s.seed });
console.log(task.describe);
const model = task.build(aw, s);
model.summary();
await train(model, task, s);

const attention = model.getAttention(task.data.xTest, { layer: 'attention' });
const rows = attentionRows(attention);
const mean = new Float32Array(rows[0].weights.length);
for (const r of rows) r.weights.forEach((w, i) => { mean[i] += w / rows.length; });
console.log('\nattention vector, mean over the test inputs (expected: a peak at #1):');
console.log(bars(mean));
const hits = rows.filter((r) => r.peak === 1).length;
console.log(`\npeak at #1 in ${hits} of ${rows.length} test inputs; test ${JSON.stringify(model.evaluate(task.data.xTest, task.data.yTest))}`);
model.dispose();
