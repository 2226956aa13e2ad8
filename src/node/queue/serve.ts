/**
 * The worker side of a queued run (`convscope worker`): a BullMQ Worker that takes the shard
 * jobs of any submitter, checks each job's data (jobs.ts), runs the shard in a worker thread
 * (thread-host.ts: the same worker modules as a local run) and returns the result as PNGs and
 * numbers (wire.ts). It streams a maximization shard's frames as job progress (the
 * submitter's progress bar), and when all of a run's shards are done it runs the run's parent
 * job, which assembles a small summary.
 *
 * Faults: job locks are renewed by this process's main thread, which never computes, so a
 * step of any length keeps its lock; a process killed outright stops renewing, and after the
 * lock duration another worker's stalled-job check puts the job back (BullMQ), to be run
 * again from its data (shards are pure functions of their data, so a retry gives the same
 * result). `stop()` (SIGINT/SIGTERM) stops taking jobs and lets the current ones finish;
 * `release()` (a second signal) gives them back to the queue at once.
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import { hostname } from 'node:os';
import { encodeMaximizeResult } from './wire.js';
import { QUEUE_NAME, redisClient } from './connection.js';
import { checkJob, type AssembleJob, type MaximizeJob, type ScanJob } from './jobs.js';
import { checkReadable } from './readable.js';
import { ThreadHost, type RunningTask } from './thread-host.js';
import type { MaximizeShardResult, ShardFrame } from '../maximize-pool.js';
import type { ShardResult } from '../patches-shard.js';

export interface ServeOptions {
  url: string;
  /** Jobs at once, each in its own thread (default 1). */
  concurrency?: number;
  /** Seconds a job's lock lasts without renewal: how soon a killed worker's job runs again. */
  lockSeconds?: number;
  /** One line per event (job started, done, failed, stopping). */
  log?: (line: string) => void;
}

/** What every result carries besides the shard's own: which worker ran it. */
export interface JobReturn<R> {
  worker: string;
  result: R;
}

export interface QueueWorker {
  /** Resolves once Redis answered and the worker takes jobs. */
  ready: Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish. */
  stop(): Promise<void>;
  /** Gives the running jobs back to the queue now (they run again elsewhere), then stops. */
  release(): Promise<void>;
}

/** Progress to Redis at most every `ms` (frames can come faster than is worth sending). */
function throttled(send: (frame: ShardFrame) => void, ms = 250): (frame: ShardFrame) => void {
  let last = 0;
  return (frame) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    send(frame);
  };
}

/** The finite-check of a scan: NaN activations would rank arbitrarily. */
function checkScan(result: ShardResult): ShardResult {
  for (const [layer, channels] of Object.entries(result.top)) {
    for (const list of channels) {
      const badEntry = list.find((entry) => !Number.isFinite(entry.value));
      if (badEntry) {
        throw new Error(
          `layer ${layer} gave activation ${badEntry.value} on image ${badEntry.image}: the model computes NaN or Infinity`,
        );
      }
    }
  }
  return result;
}

/**
 * Serves the queue until stopped.
 *
 * @example const worker = serveQueue({ url: 'redis://127.0.0.1:6379', concurrency: 1 });
 */
export function serveQueue(options: ServeOptions): QueueWorker {
  const name = `${hostname()}:${process.pid}`;
  const log = options.log ?? (() => undefined);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const host = new ThreadHost(concurrency);
  const running = new Map<string, { task: RunningTask<unknown>; released: boolean }>();

  const runThread = async <R>(job: Job, task: RunningTask<R>): Promise<R> => {
    const entry = { task: task as RunningTask<unknown>, released: false };
    running.set(job.id!, entry);
    try {
      return await task.result;
    } catch (error) {
      if (entry.released) throw new DelayedError('released by a stopping worker');
      throw error;
    } finally {
      running.delete(job.id!);
    }
  };

  const handle = async (job: Job, token?: string): Promise<unknown> => {
    checkJob(job.name, job.data);
    if (job.name === 'assemble') {
      const data = job.data as AssembleJob;
      const values = await job.getChildrenValues();
      return { run: data.run, shards: data.shards, done: Object.keys(values).length };
    }
    const started = performance.now();
    const label = `${job.id} (${(job.data as { name: string }).name})`;
    log(`job ${label} started (attempt ${job.attemptsMade + 1})`);
    try {
      let result: unknown;
      if (job.name === 'maximize') {
        const data = job.data as MaximizeJob;
        const send = throttled(
          (frame) => void job.updateProgress({ ...frame }).catch(() => undefined),
        );
        const task = host.run<MaximizeJob['task'], MaximizeShardResult, ShardFrame>(
          'maximize-worker',
          data.setup,
          data.task,
          send,
        );
        result = await encodeMaximizeResult(await runThread(job, task));
      } else {
        const data = job.data as ScanJob;
        await checkReadable(data.task.files);
        const task = host.run<ScanJob['task'], ShardResult, never>(
          'patches-worker',
          data.setup,
          data.task,
          () => undefined,
        );
        result = checkScan(await runThread(job, task));
      }
      log(`job ${label} done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return { worker: name, result } satisfies JobReturn<unknown>;
    } catch (error) {
      if (error instanceof DelayedError) {
        // Back to the queue now, not after the lock runs out, and not counted as an attempt.
        await job.moveToDelayed(Date.now(), token);
        log(`job ${label} released`);
        throw error;
      }
      log(`job ${label} failed: ${(error as Error).message}`);
      throw error;
    }
  };

  const lockDuration = Math.round((options.lockSeconds ?? 30) * 1000);
  const client = redisClient(options.url);
  const worker = new Worker(QUEUE_NAME, handle, {
    connection: client,
    concurrency,
    name,
    lockDuration,
    // The stalled check runs as often as a lock lasts, so a killed worker's job waits at
    // most about two lock durations; a job may stall twice (two workers killed) and still run.
    stalledInterval: lockDuration,
    maxStalledCount: 2,
  });
  worker.on('error', (error) => log(`queue error: ${error.message}`));
  const ready = worker.waitUntilReady().then(() => undefined);
  const closeAll = async (force: boolean) => {
    await worker.close(force);
    await host.close();
    // BullMQ leaves a client it was given open.
    client.disconnect();
  };
  return {
    ready,
    stop: () => closeAll(false),
    async release() {
      for (const entry of running.values()) {
        entry.released = true;
        await entry.task.cancel();
      }
      await closeAll(false);
    },
  };
}
