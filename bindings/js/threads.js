// How many threads init() runs on: the count asked for, else what the host offers, capped at 4
// (a batch of 64 then shards into 16 samples a thread; more threads gain little on the models
// this library trains); always 1 where memory cannot be shared between threads.
export const DEFAULT_THREAD_CAP = 4;
export const MAX_THREADS = 16;

export function threadCount(requested, { cores, canShare }) {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new Error(`init: option 'threads' must be a positive integer, got ${JSON.stringify(requested)}`);
  }
  if (!canShare) return 1;
  const wanted = requested ?? Math.min(cores, DEFAULT_THREAD_CAP);
  return Math.max(1, Math.min(wanted, MAX_THREADS));
}
