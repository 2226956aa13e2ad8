/**
 * The worker side of worker-pool.ts: a worker module calls `serveTasks(handler)` once, and each
 * task the pool sends runs through the handler, one at a time, in arrival order. The handler's
 * `emit` streams frames back; its return value (plain, structured-clonable data) is the
 * result; a thrown error is reported for that task (the pool retries it once) and the worker
 * stays up for the next task. Anything the worker should do once (start a backend, open a
 * model) belongs in a lazily awaited promise shared by all tasks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TaskMessage, WorkerMessage } from './worker-pool.js';

/** The handler of one task: `emit` sends a frame to the main thread while the task runs. */
export type TaskHandler<T, R, F> = (task: T, emit: (frame: F) => void) => Promise<R> | R;

/** The `workerData` the pool gave this worker. */
export function poolWorkerData<D>(): D {
  return workerData as D;
}

/**
 * Serves the pool's tasks in this worker with `handler`.
 *
 * @example serveTasks(async (shard: ShardTask) => scanShard(await model, shard, fit));
 */
export function serveTasks<T, R, F = never>(handler: TaskHandler<T, R, F>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread started by runPool');
  let chain = Promise.resolve();
  port.on('message', (message: TaskMessage<T>) => {
    if (message.type !== 'task') return;
    const { id, task } = message;
    const send = (reply: WorkerMessage<R, F>) => port.postMessage(reply);
    chain = chain.then(async () => {
      try {
        const value = await handler(task, (frame) => send({ type: 'frame', id, frame }));
        send({ type: 'result', id, value });
      } catch (error) {
        send({
          type: 'error',
          id,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    });
  });
}
