/**
 * A small generic pool of worker_threads for independent tasks (scan shards, filters, classes):
 * multi-threaded WASM does not start in Node, so using every core means one worker per core,
 * each with its own single-threaded backend. `runPool` hands a fixed list of tasks to N workers
 * (each runs one task at a time, written with `serveTasks` from worker-pool-serve.ts) and
 * streams events back as they come: a task's frames (progress, intermediate images), then
 * exactly one `result` or `failed` per task. A task whose worker throws or dies is retried once
 * (on a fresh worker if the old one died) and then reported as failed, never lost and never
 * duplicated: each attempt has its own id and only the current attempt's messages count. An
 * AbortSignal, a consumer that stops iterating, or the end of the list terminates the workers.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** Main thread to worker: run one attempt of a task. */
export interface TaskMessage<T> {
  type: 'task';
  id: number;
  task: T;
}

/** Worker to main thread: a frame of the running attempt, its result, or its error. */
export type WorkerMessage<R, F> =
  | { type: 'frame'; id: number; frame: F }
  | { type: 'result'; id: number; value: R }
  | { type: 'error'; id: number; message: string };

/** What the pool streams: `index` is the task's position in the list given to `runPool`. */
export type PoolEvent<T, R, F = never> =
  | { type: 'frame'; index: number; task: T; attempt: number; frame: F }
  | { type: 'result'; index: number; task: T; value: R }
  | { type: 'failed'; index: number; task: T; error: string; attempts: number };

/**
 * Another way to run a list of tasks with the same events as `runPool` (one `result` or
 * `failed` per task, frames between): BullMQ jobs on Redis (src/node/queue/) run the same shards.
 */
export type ShardRunner<T, R, F = never> = (
  tasks: readonly T[],
  options: { signal?: AbortSignal },
) => AsyncIterable<PoolEvent<T, R, F>>;

export interface PoolOptions {
  /** The worker module: a `.js` file, or a `.ts` file when running from sources (needs tsx). */
  script: URL;
  /** Cloned into every worker as `workerData` (e.g. the options to open a model with). */
  workerData?: unknown;
  /** Workers (default: one per core, at most one per task). */
  size?: number;
  /** Attempts per task before it is reported as failed (default 2: retried once). */
  attempts?: number;
  signal?: AbortSignal;
}

/** Cores available to this process (`os.availableParallelism()`). */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}

/**
 * The worker module `name` beside the calling module: `name.js` when the caller runs from
 * compiled JS, `name.ts` when it runs from TypeScript sources (vitest, tsx).
 *
 * @example const script = siblingScript(import.meta.url, 'patches-worker');
 */
export function siblingScript(callerUrl: string, name: string): URL {
  const extension = path.extname(new URL(callerUrl).pathname) === '.ts' ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, callerUrl);
}

/** Starts the worker module `script` (TypeScript sources through tsx) with `workerData`. */
export function spawnWorker(script: URL, workerData: unknown): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script, { workerData });
  // Sources only (tests, tsx): a worker's entry cannot be TypeScript, so register tsx first.
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

interface Attempt {
  index: number;
  /** Attempts started so far, this one included. */
  attempt: number;
}

interface Slot {
  worker: Worker;
  current: (Attempt & { id: number }) | null;
  gone: boolean;
}

/**
 * Runs `tasks` on a pool of workers and streams their frames and results as they arrive.
 * Ends after one `result` or `failed` event per task; throws the signal's reason on abort.
 *
 * @example
 * for await (const event of runPool(shards, { script, workerData })) {
 *   if (event.type === 'result') merge(event.value);
 * }
 */
export async function* runPool<T, R, F = never>(
  tasks: readonly T[],
  options: PoolOptions,
): AsyncGenerator<PoolEvent<T, R, F>> {
  const maxAttempts = Math.max(1, options.attempts ?? 2);
  const size = Math.max(1, Math.min(options.size ?? defaultPoolSize(), tasks.length));
  const queue: Attempt[] = tasks.map((_, index) => ({ index, attempt: 0 }));
  const events: PoolEvent<T, R, F>[] = [];
  const slots = new Set<Slot>();
  let open = tasks.length;
  let nextId = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const emit = (event: PoolEvent<T, R, F>) => {
    if (event.type !== 'frame') open--;
    events.push(event);
    notify();
  };

  const fail = (item: Attempt, error: string) => {
    if (item.attempt < maxAttempts) queue.unshift(item);
    else
      emit({
        type: 'failed',
        index: item.index,
        task: tasks[item.index],
        error,
        attempts: item.attempt,
      });
  };
  const dispatch = (slot: Slot) => {
    const item = queue.shift();
    if (!item) return;
    slot.current = { ...item, attempt: item.attempt + 1, id: nextId++ };
    const message: TaskMessage<T> = { type: 'task', id: slot.current.id, task: tasks[item.index] };
    slot.worker.postMessage(message);
  };
  const lose = (slot: Slot, error: string) => {
    if (slot.gone) return;
    slot.gone = true;
    slots.delete(slot);
    const current = slot.current;
    slot.current = null;
    if (current) fail(current, error);
    fill();
  };
  const onMessage = (slot: Slot, message: WorkerMessage<R, F>) => {
    const current = slot.current;
    if (!current || message.id !== current.id) return;
    const task = tasks[current.index];
    if (message.type === 'frame') {
      emit({
        type: 'frame',
        index: current.index,
        task,
        attempt: current.attempt,
        frame: message.frame,
      });
      return;
    }
    slot.current = null;
    if (message.type === 'result')
      emit({ type: 'result', index: current.index, task, value: message.value });
    else fail(current, message.message);
    fill();
  };
  const start = () => {
    const slot: Slot = {
      worker: spawnWorker(options.script, options.workerData),
      current: null,
      gone: false,
    };
    slots.add(slot);
    slot.worker.on('message', (message: WorkerMessage<R, F>) => onMessage(slot, message));
    slot.worker.on('error', (error: Error) => lose(slot, error.message));
    slot.worker.on('messageerror', (error: Error) => lose(slot, error.message));
    slot.worker.on('exit', (code: number) => lose(slot, `worker exited with code ${code}`));
    dispatch(slot);
  };
  /** Gives queued attempts to idle workers, then starts workers (up to `size`) for the rest. */
  function fill() {
    if (options.signal?.aborted) return;
    for (const slot of slots) if (!slot.current) dispatch(slot);
    while (queue.length > 0 && slots.size < size) start();
  }

  const onAbort = () => notify();
  options.signal?.addEventListener('abort', onAbort);
  try {
    options.signal?.throwIfAborted();
    fill();
    while (open > 0 || events.length > 0) {
      options.signal?.throwIfAborted();
      if (events.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      yield events.shift()!;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    const workers = [...slots].map((slot) => {
      slot.gone = true;
      return slot.worker;
    });
    slots.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
