/**
 * The submitting side of a queued run: a ShardRunner (the same events as the local worker
 * pool) that puts a run's shards on Redis as one BullMQ flow, a parent job over one child
 * job per shard, and streams back their progress and results as workers finish them.
 *
 * The run's id is derived from everything that decides its result (the tool's version, how
 * the model is opened, the shards, or for a scan its index key), and so are its jobs' ids:
 * a submitter that dies leaves the run on Redis, and the same command finds it again, takes
 * the results of the shards already done and waits only for the rest (`--resume ID` insists
 * on it). Adding the flow again adds only the jobs that are missing; shards that failed are
 * retried. A shard is taken once however often it finishes (a stalled job that completes
 * twice), and a shard that still fails after its attempts is named with its reason at the
 * end, once every other shard is done. The run is removed from Redis once it is complete.
 */
import { FlowProducer, Job, Queue, QueueEvents } from 'bullmq';
import { ConvscopeError } from '../../core/errors.js';
import { TOOL } from '../package-info.js';
import type { PoolEvent, ShardRunner } from '../worker-pool.js';
import { QUEUE_NAME, checkRedis, redactUrl, redisClient } from './connection.js';
import { runId, shardJobId, type JobName } from './jobs.js';
import type { JobReturn } from './serve.js';

/** Attempts per shard before it counts as failed (a stall counts separately, up to twice). */
export const SHARD_ATTEMPTS = 3;

export interface QueueRunOptions<T, R> {
  url: string;
  /** `filters`, `classes`, `patches`: the run id's prefix and the parent job's command. */
  command: string;
  job: Exclude<JobName, 'assemble'>;
  /** How workers open the model (part of every job and of the run id). */
  setup: unknown;
  /** What identifies the run besides the setup (default: the shards themselves). */
  key?: unknown;
  /** The run id the person expects (`--resume ID`): it must be this command's and on Redis. */
  resume?: string;
  /** A stable key of shard `task` within the run (its job id's suffix). */
  shardKey: (task: T, index: number) => string;
  /** A shard in words, for messages: `block2_conv2 channels 0-3`. */
  shardName: (task: T, index: number) => string;
  /** The shard as sent (absolute paths, flags). */
  toJob?: (task: T) => unknown;
  /** The worker's result back into what a local run gets. */
  fromJob: (value: unknown, task: T) => Promise<R> | R;
  /** Notes for the person (run id, resuming, no workers yet), one line each. */
  note?: (line: string) => void;
}

/** What a queued run did, for messages and manifests. */
export interface QueueRunStats {
  runId: string;
  /** Shards already done on Redis when this process started. */
  reused: number;
  /** Workers (`host:pid`) that ran the shards taken. */
  workers: Set<string>;
}

type Signal =
  { kind: 'settle'; index: number } | { kind: 'progress'; index: number; data: unknown };

/** A queue of signals that a loop awaits with a timeout. */
function channel() {
  const items: Signal[] = [];
  let wake: (() => void) | null = null;
  return {
    push(item: Signal) {
      items.push(item);
      wake?.();
      wake = null;
    },
    async next(ms: number): Promise<Signal | null> {
      if (items.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, ms);
        });
      }
      return items.shift() ?? null;
    },
  };
}

/**
 * A ShardRunner on Redis; `stats` fills in while it runs.
 *
 * @example const runner = queueRunner({ url, command: 'patches', job: 'scan', ... });
 */
export function queueRunner<T, R, F = never>(
  options: QueueRunOptions<T, R>,
): ShardRunner<T, R, F> & { stats: QueueRunStats } {
  const stats: QueueRunStats = { runId: '', reused: 0, workers: new Set() };
  const runner = (tasks: readonly T[], { signal }: { signal?: AbortSignal }) =>
    run<T, R, F>(tasks, options, stats, signal);
  return Object.assign(runner, { stats });
}

async function* run<T, R, F>(
  tasks: readonly T[],
  options: QueueRunOptions<T, R>,
  stats: QueueRunStats,
  signal?: AbortSignal,
): AsyncGenerator<PoolEvent<T, R, F>> {
  if (tasks.length === 0) return;
  const note = options.note ?? (() => undefined);
  const where = redactUrl(options.url);
  const id = runId(options.command, {
    tool: TOOL,
    job: options.job,
    setup: options.setup,
    key: options.key ?? tasks,
  });
  stats.runId = id;
  if (options.resume !== undefined && options.resume !== id) {
    throw new ConvscopeError(
      `--resume ${options.resume} is not this command's run: its inputs make run ${id}`,
      'resume with the command that started the run (same model, options, images and seed), or leave --resume out',
    );
  }
  await checkRedis(options.url);
  const jobIds = tasks.map((task, i) => shardJobId(id, options.shardKey(task, i)));
  const indexOf = new Map(jobIds.map((jobId, i) => [jobId, i]));
  // BullMQ leaves clients it was given open: they are closed here at the end.
  const clients = [0, 1, 2].map(() => redisClient(options.url));
  const queue = new Queue(QUEUE_NAME, { connection: clients[0] });
  const events = new QueueEvents(QUEUE_NAME, { connection: clients[1] });
  const flows = new FlowProducer({ connection: clients[2] });
  const signals = channel();
  const onAbort = () => signals.push({ kind: 'settle', index: -1 });
  signal?.addEventListener('abort', onAbort);
  try {
    // Listen before looking, so that no shard finishes unseen in between.
    await events.waitUntilReady();
    const settle = ({ jobId }: { jobId: string }) => {
      const index = indexOf.get(jobId);
      if (index !== undefined) signals.push({ kind: 'settle', index });
    };
    events.on('completed', settle);
    events.on('failed', settle);
    events.on('progress', ({ jobId, data }) => {
      const index = indexOf.get(jobId);
      if (index !== undefined) signals.push({ kind: 'progress', index, data });
    });
    const parent = await Job.fromId(queue, id);
    if (options.resume !== undefined && !parent) {
      throw new ConvscopeError(
        `run ${id} is not on the queue at ${where}`,
        'it was completed and collected, or never started: leave --resume out to start it',
      );
    }
    note(
      parent
        ? `resuming queue run ${id} on ${where}`
        : `queue run ${id}: ${tasks.length} shards on ${where} (if this process stops, the same command or --resume ${id} picks the run up)`,
    );
    for (const jobId of jobIds) {
      const job = parent ? await Job.fromId(queue, jobId) : undefined;
      const state = job ? await job.getState() : 'missing';
      if (state === 'completed') stats.reused++;
      if (state === 'failed') await job!.retry('failed');
    }
    if (parent) note(`${stats.reused} of ${tasks.length} shards were already done`);
    // Adding a flow whose jobs exist adds only the missing ones (ids are derived, not drawn).
    await flows.add({
      name: 'assemble',
      queueName: QUEUE_NAME,
      data: { run: id, command: options.command, shards: tasks.length },
      opts: { jobId: id },
      children: tasks.map((task, i) => ({
        name: options.job,
        queueName: QUEUE_NAME,
        data: {
          run: id,
          shard: i,
          name: options.shardName(task, i),
          setup: options.setup,
          task: options.toJob ? options.toJob(task) : task,
        },
        opts: {
          jobId: jobIds[i],
          attempts: SHARD_ATTEMPTS,
          backoff: { type: 'fixed', delay: 1000 },
        },
      })),
    });
    const workers = await queue.getWorkersCount().catch(() => 1);
    if (workers === 0) {
      note(
        `no worker serves ${QUEUE_NAME} on ${where} yet; start one with \`convscope worker --redis URL\` (waiting)`,
      );
    }
    const pending = new Set(tasks.keys());
    const failures: string[] = [];
    for (const index of pending) signals.push({ kind: 'settle', index });
    while (pending.size > 0) {
      if (signal?.aborted) {
        throw new ConvscopeError(
          'interrupted',
          `the run goes on on the workers; the same command (or --resume ${id}) collects it`,
        );
      }
      // Events are the fast path; a look at every pending job now and then is the safe one.
      const next = await signals.next(2000);
      if (!next) {
        for (const index of pending) signals.push({ kind: 'settle', index });
        continue;
      }
      if (next.index < 0 || !pending.has(next.index)) continue;
      if (next.kind === 'progress') {
        const task = tasks[next.index];
        yield { type: 'frame', index: next.index, task, attempt: 1, frame: next.data as F };
        continue;
      }
      // The state first, then the job: BullMQ stores the return value and moves the job to
      // 'completed' in one script, so a job read after its state has its value (read before,
      // it may not: a race that once failed a run with "reading 'worker'" of null).
      const state = await queue.getJobState(jobIds[next.index]);
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      const job = state === 'unknown' ? undefined : await Job.fromId(queue, jobIds[next.index]);
      const back = state === 'completed' ? (job?.returnvalue as JobReturn<unknown> | null) : null;
      const task = tasks[next.index];
      pending.delete(next.index);
      if (back) {
        stats.workers.add(back.worker);
        const value = await options.fromJob(back.result, task);
        yield { type: 'result', index: next.index, task, value };
        continue;
      }
      const shard = `shard '${options.shardName(task, next.index)}'`;
      const attempts = job ? ` after ${job.attemptsMade} attempts` : '';
      failures.push(
        state === 'completed'
          ? `${shard} completed without a result (a worker of another convscope version?)`
          : `${shard} failed${attempts}: ${job?.failedReason ?? 'the job is gone from the queue'}`,
      );
    }
    if (failures.length > 0) {
      throw new ConvscopeError(
        `${failures.length} of ${tasks.length} shards of queue run ${id} failed: ${failures.join('; ')}`,
        `the other shards are done and kept; fix the cause and run the same command (or --resume ${id})`,
      );
    }
    await collect(queue, id);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled([events.close(), flows.close(), queue.close()]);
    for (const client of clients) client.disconnect();
  }
}

/**
 * Once the parent has assembled (right after the last shard, unless the workers are busy with
 * other runs' jobs), the run leaves Redis; a run left there is only taken again as it is.
 */
async function collect(queue: Queue, id: string): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const parent = await Job.fromId(queue, id);
    if (!parent) return;
    const state = await parent.getState();
    if (state === 'completed' || state === 'failed') {
      await parent.remove({ removeChildren: true }).catch(() => undefined);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
