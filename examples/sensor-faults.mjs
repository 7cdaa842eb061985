// Sensor faults, with attention over time, on the Suthaharan single-hop sensor network readings
// (4 motes, humidity and temperature; two labelled fault events, on motes 1 and 4). Windows of
// readings, robustly scaled per mote (attention-wasm/data's seriesCsv) -> LSTM -> attention ->
// sigmoid, trained with classWeight (faulty windows are ~1%), tested on a mote it never saw.
// Prints the balanced accuracy and how often the most attended reading of a window is a faulty
// one, against chance and against fixed-position, uniform and random attention.
//   node examples/sensor-faults.mjs [--type bahdanau] [--testMote 4] [--seeds 3] [--epochs 6]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { init } from 'attention-wasm';
import { seriesCsv } from 'attention-wasm/data';

import { ATTENTION_TYPES, SENSOR_DEFAULTS, balancedAccuracy, faultLocation, sensorTask } from '../web/real_data.mjs';
import { rng } from '../web/tasks.mjs';

const { values } = parseArgs({ options: {
  type: { type: 'string', default: 'bahdanau' }, testMote: { type: 'string', default: '4' },
  seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: String(SENSOR_DEFAULTS.epochs) },
  window: { type: 'string', default: '32' }, stride: { type: 'string', default: '2' },
} });
if (!ATTENTION_TYPES[values.type]) throw new Error(`unknown attention type '${values.type}'`);
const aw = await init();
const windows = seriesCsv(readFileSync(new URL('../build/data/sensor.csv', import.meta.url), 'utf8'), {
  window: Number(values.window), stride: Number(values.stride), groupColumn: 'mote_id', featureColumns: ['humidity', 'temperature'] });
const epochs = Number(values.epochs);
for (let seed = 1; seed <= Number(values.seeds); seed++) {
  const task = sensorTask(windows, aw, { testGroup: values.testMote, seed });
  const positives = task.yTrain.data.reduce((a, b) => a + b, 0);
  if (seed === 1) {
    console.log(`${task.yTrain.shape[0]} training windows (${positives} with a fault), ${task.yTest.shape[0]} test windows ` +
      `on mote ${values.testMote} (${task.yTest.data.reduce((a, b) => a + b, 0)} with a fault)`);
  }
  const model = task.build(values.type, { seed });
  await model.fit(task.xTrain, task.yTrain, { epochs, batchSize: SENSOR_DEFAULTS.batchSize, seed,
    classWeight: { 0: 1, 1: SENSOR_DEFAULTS.faultWeight } });
  const p = model.predict(task.xTest).data;
  const weights = model.getAttention(task.xTest, { layer: 'attention' });
  const found = faultLocation(weights, task.stepsTest);
  const [B, T] = task.stepsTest.shape;
  const r = rng(seed);
  const control = (fill) => ({ data: Float32Array.from({ length: B * T }, (_, i) => fill(i % T)), shape: [B, T] });
  const uniform = faultLocation(control(() => 1), task.stepsTest);
  const random = faultLocation(control(() => r.uniform()), task.stepsTest);
  const last = faultLocation(control((t) => (t === T - 1 ? 1 : 0)), task.stepsTest);
  console.log(`seed ${seed}: balanced accuracy ${balancedAccuracy(p, task.yTest.data).toFixed(4)}; most attended reading is faulty in ` +
    `${(100 * found.rate).toFixed(1)}% of ${found.windows} partly faulty windows (chance ${(100 * found.chance).toFixed(1)}%; ` +
    `uniform ${(100 * uniform.rate).toFixed(1)}%, random ${(100 * random.rate).toFixed(1)}%, last reading ${(100 * last.rate).toFixed(1)}%)`);
  if (seed === 1) {
    // One window at a fault's onset: its attention, reading by reading (* = labelled faulty).
    const onset = Array.from({ length: B }, (_, b) => b).find((b) => task.stepsTest.data[b * T + T - 1] && !task.stepsTest.data[b * T]);
    if (onset !== undefined) {
      const w = weights.data.subarray(onset * T, (onset + 1) * T);
      console.log('attention on a window at a fault onset:\n' + Array.from(w, (v, t) =>
        `  ${String(t).padStart(2)}${task.stepsTest.data[onset * T + t] ? '*' : ' '} ${'#'.repeat(Math.round(v * 100))}`).join('\n'));
    }
  }
  model.dispose();
}
