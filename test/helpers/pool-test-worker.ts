/**
 * A worker for the worker-pool tests: doubles numbers, and on request throws, exits or hangs.
 * Attempt counts and a heartbeat live in a SharedArrayBuffer (`workerData`) that every worker
 * of the pool shares, so "fail on the first attempt only" holds whichever worker retries.
 */
import { poolWorkerData, serveTasks } from '../../src/node/worker-pool-serve.js';

export type TestTask = { n: number; mode: 'ok' | 'throw-once' | 'exit-once' | 'throw' | 'hang' };

/** Slot n: attempts of task n; the last slot: heartbeats of hanging tasks. */
const counters = new Int32Array(poolWorkerData<SharedArrayBuffer>());
const heartbeat = counters.length - 1;

serveTasks<TestTask, number, string>(async ({ n, mode }, emit) => {
  const attempt = Atomics.add(counters, n, 1) + 1;
  emit(`start ${n}`);
  if (mode === 'throw' || (mode === 'throw-once' && attempt === 1)) throw new Error(`boom ${n}`);
  if (mode === 'exit-once' && attempt === 1) process.exit(3);
  if (mode === 'hang') {
    setInterval(() => Atomics.add(counters, heartbeat, 1), 10);
    await new Promise(() => undefined);
  }
  return n * 2;
});
