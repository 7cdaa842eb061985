// Recurrent hello world (keras-attention-mechanism): 20 steps x 2 features of noise, step #10
// holds the binary target. The classic attention_3d_block goes before the LSTM (on the inputs)
// or after it (on its states); --singleVector true shares one weight per step.
// Prints the attention over time averaged over the test inputs, as the original plotted it.
//   node examples/recurrent-hello-world.mjs [--placement before|after] [--singleVector true] [--cell gru]
import { init } from 'attention-wasm';

import { settings, train } from './cli.mjs';
import { attentionRows, bars, makeTask } from '../web/tasks.mjs';

const s = settings('recurrent');
const aw = await init();
const task = makeTask('recurrent', { samples: s.samples, seed: s.seed });
console.log(task.describe);
console.log(`attention ${s.placement} the ${s.cell.toUpperCase()}, single vector: ${s.singleVector}`);
const model = task.build(aw, s);
model.summary();
await train(model, task, s);

const attention = model.getAttention(task.data.xTest, { layer: 'attention' });
console.log(`attention weights shape: (${attention.shape.join(', ')})`);
const rows = attentionRows(attention);  // averaged over features when there is one vector per feature
const mean = new Float32Array(rows[0].weights.length);
for (const r of rows) r.weights.forEach((w, i) => { mean[i] += w / rows.length; });
console.log('\nattention over time, mean over the test inputs (expected: a peak at step 10):');
console.log(bars(mean));
const hits = rows.filter((r) => r.peak === 10).length;
console.log(`\npeak at step 10 in ${hits} of ${rows.length} test inputs; test ${JSON.stringify(model.evaluate(task.data.xTest, task.data.yTest))}`);
model.dispose();
