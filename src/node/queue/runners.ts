/**
 * The two kinds of queued shards, wired to the local code that consumes them: activation
 * maximization (`filters`, `classes`: maximize-pool.ts's shards, results as PNGs and numbers)
 * and patch scans (`patches`: patches-scan.ts's shards, top-k lists as they are). Each says how
 * a shard is named and identified, what a worker gets (absolute paths: workers may run in
 * another folder; the class-probability flag) and how a result comes back as what a local
 * worker thread returns, so the code after the shards cannot tell where they ran.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type {
  MaximizeShard,
  MaximizeShardResult,
  MaximizeWorkerData,
  ShardFrame,
} from '../maximize-pool.js';
import type { ModelOptions } from '../open-model.js';
import type { PatchesWorkerData, ShardResult, ShardTask } from '../patches-shard.js';
import { ZOO_NAMES } from '../open-model.js';
import { maximizeShardName, scanShardName } from './jobs.js';
import { queueRunner } from './submit.js';
import { decodeMaximizeResult, type WireMaximizeResult } from './wire.js';

export interface QueueCliOptions {
  /** The Redis URL (`--queue`). */
  url: string;
  /** `--resume ID`. */
  resume?: string;
  note?: (line: string) => void;
}

/** A local file or folder named on the command line, made absolute; anything else as given. */
function absoluteIfLocal(spec: string | undefined): string | undefined {
  if (spec === undefined || spec === 'embedded' || ZOO_NAMES.includes(spec)) return spec;
  if (/^https?:\/\//i.test(spec) || !existsSync(spec)) return spec;
  return path.resolve(spec);
}

/**
 * The model options a worker gets: local paths (model, labels) made absolute (workers run in
 * another folder or machine and need the same path), zoo names, `embedded` and URLs as given;
 * no `env` or `quiet` (a worker's cache, mirror and output are its own).
 */
export function workerModelOptions(options: ModelOptions): ModelOptions {
  const all: ModelOptions = {
    ...options,
    model: absoluteIfLocal(options.model),
    labels: absoluteIfLocal(options.labels),
  };
  delete all.env;
  delete all.quiet;
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as ModelOptions;
}

/**
 * Shards of `filters` or `classes` on the queue.
 *
 * @example visualize({ ..., runShards: maximizeRunner(queue, 'filters', workerData, false) })
 */
export function maximizeRunner(
  queue: QueueCliOptions,
  command: 'filters' | 'classes',
  workerData: MaximizeWorkerData,
  probability: boolean,
) {
  const setup = { ...workerData, model: workerModelOptions(workerData.model) };
  return queueRunner<MaximizeShard, MaximizeShardResult, ShardFrame>({
    url: queue.url,
    resume: queue.resume,
    note: queue.note,
    command,
    job: 'maximize',
    setup,
    shardKey: (_, i) => `s${i}`,
    shardName: (task) => maximizeShardName(task),
    toJob: (task) => ({ ...task, ...(probability ? { probability } : {}) }),
    fromJob: (value) => decodeMaximizeResult(value as WireMaximizeResult),
  });
}

/**
 * Shards of a `patches` scan on the queue; `key` is the scan's identity (index key, layers, k,
 * batch), so a resumed scan whose plan shrank finds the same run.
 */
export function scanRunner(queue: QueueCliOptions, worker: PatchesWorkerData, key: unknown) {
  const setup = { ...worker, model: workerModelOptions(worker.model) };
  return queueRunner<ShardTask, ShardResult>({
    url: queue.url,
    resume: queue.resume,
    note: queue.note,
    command: 'patches',
    job: 'scan',
    setup,
    key,
    shardKey: (task) =>
      `${task.start}-${task.start + task.files.length}-${task.layers.map((l) => `${l.name}.${l.k}`).join('.')}`,
    shardName: (task) =>
      scanShardName(
        task,
        task.files.map((f) => path.basename(f)),
      ),
    toJob: (task) => ({ ...task, files: task.files.map((f) => path.resolve(f)) }),
    fromJob: (value, task) => {
      // Skipped files come back by the absolute path the worker read: name them as given.
      const result = value as ShardResult;
      const given = new Map(task.files.map((f) => [path.resolve(f), f]));
      return {
        ...result,
        skipped: result.skipped.map((s) => ({ ...s, file: given.get(s.file) ?? s.file })),
      };
    },
  });
}
