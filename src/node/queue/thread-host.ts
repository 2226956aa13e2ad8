/**
 * The worker threads inside a `convscope worker` process. A queued shard runs in the very
 * worker module a local run uses (maximize-worker.ts, patches-worker.ts, speaking the
 * worker-pool protocol), so there is one implementation of a shard. Threads stay up between
 * jobs (a thread opens its model once: seconds for VGG16) and are keyed by their setup (model,
 * backend, engine, size): a job for another setup reuses an idle thread of its own kind, or
 * replaces an idle thread of another kind. The process's main thread only talks to Redis, so
 * it renews job locks on time however long a step takes inside a thread.
 */
import type { Worker } from 'node:worker_threads';
import {
  siblingScript,
  spawnWorker,
  type TaskMessage,
  type WorkerMessage,
} from '../worker-pool.js';

export type ThreadScript = 'maximize-worker' | 'patches-worker';

interface Thread {
  key: string;
  script: ThreadScript;
  worker: Worker;
  busy: boolean;
  /** The running task's handlers (one task at a time per thread). */
  current: {
    id: number;
    onFrame: (frame: unknown) => void;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
  } | null;
}

/** A task handed to `ThreadHost.run` can be cut short: its thread is terminated. */
export interface RunningTask<R> {
  result: Promise<R>;
  cancel: () => Promise<void>;
}

export class ThreadHost {
  private readonly threads = new Set<Thread>();
  private nextId = 0;

  /** At most `size` threads (the worker's `--concurrency`). */
  constructor(private readonly size: number) {}

  /**
   * Runs `task` on a thread of `script` started with `setup` as its workerData.
   *
   * @example const { result } = host.run('patches-worker', setup, shard, () => undefined);
   */
  run<T, R, F>(
    script: ThreadScript,
    setup: unknown,
    task: T,
    onFrame: (frame: F) => void,
  ): RunningTask<R> {
    const thread = this.threadFor(script, setup);
    thread.busy = true;
    const id = this.nextId++;
    const result = new Promise<R>((resolve, reject) => {
      thread.current = {
        id,
        onFrame: onFrame as (frame: unknown) => void,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
    });
    const message: TaskMessage<T> = { type: 'task', id, task };
    thread.worker.postMessage(message);
    return { result, cancel: () => this.drop(thread, new Error('cancelled')) };
  }

  /** Terminates every thread (their running tasks are rejected). */
  async close(): Promise<void> {
    await Promise.all([...this.threads].map((t) => this.drop(t, new Error('worker stopping'))));
  }

  private threadFor(script: ThreadScript, setup: unknown): Thread {
    const key = `${script}\n${JSON.stringify(setup)}`;
    const idle = [...this.threads].filter((t) => !t.busy);
    const same = idle.find((t) => t.key === key);
    if (same) return same;
    // A full host gives up an idle thread of another setup (the model it holds is stale).
    if (this.threads.size >= this.size && idle.length > 0) void this.drop(idle[0], null);
    return this.start(script, key, setup);
  }

  private start(script: ThreadScript, key: string, setup: unknown): Thread {
    // The worker modules sit one folder up (src/node/), beside the local pool that uses them.
    const url = siblingScript(import.meta.url, `../${script}`);
    const thread: Thread = {
      key,
      script,
      worker: spawnWorker(url, setup),
      busy: false,
      current: null,
    };
    this.threads.add(thread);
    thread.worker.on('message', (message: WorkerMessage<unknown, unknown>) => {
      const current = thread.current;
      if (!current || message.id !== current.id) return;
      if (message.type === 'frame') {
        current.onFrame(message.frame);
        return;
      }
      thread.current = null;
      thread.busy = false;
      if (message.type === 'result') current.resolve(message.value);
      else current.reject(new Error(message.message));
    });
    const lost = (why: string) => void this.drop(thread, new Error(why));
    thread.worker.on('error', (error: Error) => lost(error.message));
    thread.worker.on('exit', (code: number) => lost(`worker thread exited with code ${code}`));
    return thread;
  }

  private async drop(thread: Thread, error: Error | null): Promise<void> {
    if (!this.threads.delete(thread)) return;
    const current = thread.current;
    thread.current = null;
    if (current) current.reject(error ?? new Error('worker thread replaced'));
    await thread.worker.terminate();
  }
}
