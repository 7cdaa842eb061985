// Command-line plumbing shared by the Node examples: `--epochs 5 --units 16 --cell gru ...`
// override the task's defaults (TASK_INFO), so the examples double as quick experiments.
import { parseArgs } from 'node:util';

import { TASK_INFO } from '../web/tasks.mjs';

export function settings(taskName, extra = {}) {
  const defaults = { ...TASK_INFO[taskName].defaults, seed: 1, ...extra };
  const options = {};
  for (const key of Object.keys(defaults)) options[key] = { type: 'string' };
  const { values } = parseArgs({ options, allowPositionals: false });
  const out = { ...defaults };
  for (const [key, value] of Object.entries(values)) {
    const fallback = defaults[key];
    if (typeof fallback === 'number') {
      out[key] = Number(value);
      if (!Number.isFinite(out[key])) throw new Error(`--${key} expects a number, got '${value}'`);
    } else if (typeof fallback === 'boolean') {
      out[key] = value === 'true' || value === '1';
    } else {
      out[key] = value;
    }
  }
  return out;
}

// Trains with a one-line log per epoch and returns the history.
export async function train(model, task, s, onEpoch = () => {}) {
  const started = Date.now();
  return model.fit(task.data.xTrain, task.data.yTrain, {
    epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, shuffle: true,
    validationData: [task.data.xTest, task.data.yTest],
    callbacks: {
      onEpochEnd(epoch, logs) {
        const parts = Object.entries(logs).map(([k, v]) => `${k} ${v.toFixed(4)}`);
        console.log(`epoch ${String(epoch + 1).padStart(3)}/${s.epochs}  ${parts.join('  ')}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        onEpoch(epoch, logs);
      },
    },
  });
}
