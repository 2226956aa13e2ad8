/**
 * Activation maximization on every core: the items are cut into contiguous shards (one per
 * worker, or shards of `batchSize` items queued over the workers), each shard is optimized as
 * one batch in a worker (worker_threads, one WASM backend each, see worker-pool.ts), and the
 * shards' results are joined back in item order into one MaximizeResult, as if a single batch
 * had run. Shard s uses seed + s, so a run is reproducible for a given seed, worker count and
 * batch size (the manifest records them).
 */
import type { ModelOptions } from './open-model.js';
import type { ImageStats } from '../core/evaluation/image-stats.js';
import type { ObjectiveSpec } from '../core/objectives/objective-spec.js';
import type { ImageBatch, MaximizeResult } from '../core/optimize/maximize.js';
import type { OptimizationSettings } from '../core/optimize/settings.js';
import { ConvscopeError } from '../core/errors.js';
import { runPool, siblingScript, type ShardRunner } from './worker-pool.js';

export interface MaximizeWorkerData {
  model: ModelOptions & { quiet?: boolean };
  backend: string;
  /** Image size the workers render at (models that take any size are resized to it). */
  size: number;
  /** The engine each worker runs the network on (default tfjs) and its threads. */
  engine?: 'tfjs' | 'onnx';
  threads?: number;
}

export interface MaximizeShard {
  specs: ObjectiveSpec[];
  settings: OptimizationSettings;
  seed: number;
  history: number;
  /** Steps between measured frames (default: maximize's, 32 per run). */
  frameEvery?: number;
  /** Steps between best-iterate measurements (default: maximize's, 32 per run). */
  bestEvery?: number;
  /** Also each item's class probability, from the float images (queued runs: they stay there). */
  probability?: boolean;
}

/**
 * A shard's result, with the class probabilities when the shard asked for them; a queued
 * shard's also carries each image's statistics, measured on the worker from the float values
 * (only PNGs of them come back).
 */
export type MaximizeShardResult = MaximizeResult & {
  probabilities?: number[];
  itemStats?: ImageStats[];
  /** With diversity, each image's unit activation without the diversity term (unit-scores.ts). */
  unitScores?: number[];
};

export interface ShardFrame {
  step: number;
  scores: number[];
}

/** Contiguous shards of `count` items over `workers` workers (sizes differ by at most one). */
export function shardRanges(count: number, workers: number): [number, number][] {
  const n = Math.max(1, Math.min(workers, count));
  return Array.from({ length: n }, (_, s) => [
    Math.floor((s * count) / n),
    Math.floor(((s + 1) * count) / n),
  ]);
}

function joinBatches(batches: ImageBatch[]): ImageBatch {
  const [, h, w, c] = batches[0].shape;
  const total = batches.reduce((n, b) => n + b.shape[0], 0);
  const data = new Float32Array(total * h * w * c);
  let offset = 0;
  for (const b of batches) {
    data.set(b.data, offset);
    offset += b.data.length;
  }
  return { data, shape: [total, h, w, c] };
}

/** Joins shard results (in item order) into one result. */
export function joinResults(results: MaximizeShardResult[], seconds: number): MaximizeShardResult {
  const flat = <K extends 'initial' | 'final' | 'bestScores' | 'bestSteps'>(key: K) =>
    results.flatMap((r) => r[key]);
  const steps = Math.min(...results.map((r) => r.steps));
  return {
    best: joinBatches(results.map((r) => r.best)),
    initial: flat('initial'),
    final: flat('final'),
    bestScores: flat('bestScores'),
    bestSteps: flat('bestSteps'),
    history: results[0].history
      .filter((frame) => results.every((r) => r.history.some((h) => h.step === frame.step)))
      .map((frame) => {
        const frames = results.map((r) => r.history.find((h) => h.step === frame.step)!);
        return {
          step: frame.step,
          images: joinBatches(frames.map((f) => f.images)),
          scores: frames.flatMap((f) => f.scores),
        };
      }),
    steps,
    aborted: results.some((r) => r.aborted),
    seconds,
    ...(results.every((r) => r.transformedScores)
      ? { transformedScores: results.flatMap((r) => r.transformedScores!) }
      : {}),
    ...(results.every((r) => r.alpha) ? { alpha: joinBatches(results.map((r) => r.alpha!)) } : {}),
    ...(results.every((r) => r.probabilities)
      ? { probabilities: results.flatMap((r) => r.probabilities!) }
      : {}),
    ...(results.every((r) => r.itemStats)
      ? { itemStats: results.flatMap((r) => r.itemStats!) }
      : {}),
    ...(results.every((r) => r.unitScores)
      ? { unitScores: results.flatMap((r) => r.unitScores!) }
      : {}),
  };
}

export interface PoolRun {
  specs: ObjectiveSpec[];
  settings: OptimizationSettings;
  seed: number;
  history: number;
  /** Steps between measured frames (default: maximize's, 32 per run). */
  frameEvery?: number;
  /** Steps between best-iterate measurements (default: maximize's, 32 per run). */
  bestEvery?: number;
  workers: number;
  /** Items per shard (default: one shard per worker). */
  batchSize?: number;
  workerData: MaximizeWorkerData;
  signal?: AbortSignal;
  /** Lowest step reached across shards, and every item's latest objective value. */
  onProgress?: (step: number, scores: number[]) => void;
  /** Runs the shards elsewhere (BullMQ workers) instead of on local worker threads. */
  runShards?: ShardRunner<MaximizeShard, MaximizeShardResult, ShardFrame>;
}

/**
 * Optimizes the items on a pool of workers and returns the joined result.
 * @example const result = await maximizeOnPool({ specs, settings, seed: 0, history: 0, workers: 2, workerData })
 */
export async function maximizeOnPool(run: PoolRun): Promise<MaximizeShardResult> {
  const started = Date.now();
  const shardCount = run.batchSize
    ? Math.max(run.workers, Math.ceil(run.specs.length / run.batchSize))
    : run.workers;
  const ranges = shardRanges(run.specs.length, shardCount);
  const shards: MaximizeShard[] = ranges.map(([a, b], s) => ({
    specs: run.specs.slice(a, b),
    settings: run.settings,
    seed: run.seed + s,
    history: run.history,
    ...(run.frameEvery ? { frameEvery: run.frameEvery } : {}),
    ...(run.bestEvery ? { bestEvery: run.bestEvery } : {}),
  }));
  const steps = new Array<number>(shards.length).fill(0);
  const scores = ranges.map(([a, b]) => new Array<number>(b - a).fill(0));
  const results: MaximizeShardResult[] = new Array(shards.length);
  const failed: string[] = [];
  const events = run.runShards
    ? run.runShards(shards, { signal: run.signal })
    : runPool<MaximizeShard, MaximizeShardResult, ShardFrame>(shards, {
        script: siblingScript(import.meta.url, 'maximize-worker'),
        workerData: run.workerData,
        size: Math.min(run.workers, shards.length),
        signal: run.signal,
      });
  for await (const event of events) {
    if (event.type === 'frame') {
      steps[event.index] = event.frame.step;
      scores[event.index] = event.frame.scores;
      run.onProgress?.(Math.min(...steps), scores.flat());
    } else if (event.type === 'result') results[event.index] = event.value;
    else failed.push(event.error);
  }
  if (failed.length > 0) {
    throw new ConvscopeError(
      `${failed.length} of ${shards.length} worker shards failed twice: ${failed[0]}`,
      'run again with --workers 1 to see the error in this thread',
    );
  }
  return joinResults(results, (Date.now() - started) / 1000);
}
