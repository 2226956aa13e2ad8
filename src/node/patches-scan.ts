/**
 * The dataset scan behind `convscope patches`: the files still to scan are cut into shards (one
 * forward pass each, see patches-shard.ts) that run in this thread or, with `workers` > 1, on a
 * pool of worker threads (one WASM backend per core, see worker-pool.ts); each shard's top-k
 * lists are merged into the layer's TopKTracker, so the result is the same for any number of
 * workers and any shard order. The result is a small JSON index (patches-index.ts) saved
 * atomically every few seconds and when a scan stops early, so an interrupted scan resumes
 * where it stopped and a later run that asks for a layer and k it already has does not rescan
 * (a saved index is shape-checked first, patches-index-shape.ts: a damaged one is refused).
 * Files that fail to decode are skipped and listed, never fatal.
 */
import type { NetworkEngine } from '../core/engines/network-engine.js';
import { ConvscopeError } from '../core/errors.js';
import { TopKTracker } from '../core/methods/top-k.js';
import type { VisModel } from '../core/models/vis-model.js';
import { writeBytesAtomic } from './atomic-write.js';
import { checkIndexShape } from './patches-index-shape.js';
import type { Fit } from './images.js';
import {
  indexKey,
  markScanned,
  planShards,
  readIndex,
  type PatchIndex,
  type ShardPlan,
} from './patches-index.js';
import {
  scanShard,
  type PatchesWorkerData,
  type ShardResult,
  type ShardTask,
} from './patches-shard.js';
import { defaultPoolSize, runPool, siblingScript, type ShardRunner } from './worker-pool.js';

export type { LayerIndex, PatchIndex } from './patches-index.js';
export type { PatchesWorkerData } from './patches-shard.js';

export interface ScanOptions {
  k: number;
  /** Images per forward pass, and per shard (default 32). */
  batch?: number;
  fit?: Fit;
  /** Where the index lives (read first when present, rewritten during and after the scan). */
  indexFile?: string;
  /** Called after each shard with the files covered so far. */
  onProgress?: (done: number, total: number) => void;
  /** Seconds between index saves during a scan (default 5). */
  saveEvery?: number;
  /**
   * Worker threads (default 1: the scan runs in this thread, no workers). `auto`: one per core
   * when the scan is long enough to repay starting them (measured on two probe shards).
   */
  workers?: number | 'auto';
  /** `auto` never starts workers for a scan shorter than this here (default 10 s). */
  autoSeconds?: number;
  /**
   * `auto`: seconds a worker takes to start (threads, tfjs, WASM, opening the model): the CLI
   * passes its own time to open the model plus a second (default 2 s).
   */
  workerStartSeconds?: number;
  /** The engine that runs the network in this thread (absent: TF.js). */
  engine?: NetworkEngine;
  /** How each worker opens the same model (required when `workers` > 1). */
  worker?: PatchesWorkerData;
  /** Stops the scan (and its workers); the index keeps what was finished. */
  signal?: AbortSignal;
  /** Runs every shard elsewhere (BullMQ workers, `--queue`) instead of here or on threads. */
  runShards?: ShardRunner<ShardTask, ShardResult>;
}

export interface ScanResult {
  index: PatchIndex;
  /** Images decoded and run in this call (0 when the index already had everything). */
  scannedNow: number;
  /** Files that failed to decode in this call (listed in `index.skipped`, not in `scannedNow`). */
  skippedNow: number;
  seconds: number;
  /** Worker threads used (1: in this thread). */
  workers: number;
}

function poolSize({ workers, worker }: ScanOptions): number {
  if (workers === 'auto') return worker ? defaultPoolSize() : 1;
  return workers ?? 1;
}

/** The requested layers that still need scanning (entries reset when k grew). */
function pendingLayers(model: VisModel, index: PatchIndex, layers: string[], k: number): string[] {
  const pending: string[] = [];
  for (const name of layers) {
    const node = model.layer(name);
    const entry = index.layers[name];
    if (entry && entry.k >= k && entry.scanned === index.files.length) continue;
    if (!entry || entry.k < k) index.layers[name] = { k, scanned: 0, top: [] };
    if (!node.spatial || !node.receptiveField) {
      throw new ConvscopeError(
        `layer '${name}' (${node.kind}) has no spatial map with a receptive field`,
        'choose a convolution or pooling layer (see `convscope layers`)',
      );
    }
    pending.push(name);
  }
  return pending;
}

/**
 * Top-k (value, image, y, x) per channel of `layers` over `files`, resuming from and saving to
 * `options.indexFile`.
 *
 * @example const { index } = await scanPatches(model, files, ['block1_conv1'], { k: 9 });
 */
export async function scanPatches(
  model: VisModel,
  files: string[],
  layers: string[],
  options: ScanOptions,
): Promise<ScanResult> {
  const started = performance.now();
  const fit = options.fit ?? 'cover';
  const key = indexKey(model, files, fit);
  const saved = await readIndex(options.indexFile, key);
  const index: PatchIndex = saved
    ? checkIndexShape(saved, files, model, options.indexFile!)
    : {
        version: 1,
        key,
        files,
        skipped: [],
        layers: {},
      };
  const pending = pendingLayers(model, index, layers, options.k);
  const trackers = new Map(
    pending.map((name) => {
      const { k, top } = index.layers[name];
      const channels = model.layer(name).channels ?? 0;
      return [name, new TopKTracker(channels, k, top.length > 0 ? top : undefined)];
    }),
  );
  const batch = Math.max(1, options.batch ?? 32);
  const plan = (size: number) => planShards(index, pending, files.length, size);
  const taskOf = ({ start, end, layers: names }: ShardPlan): ShardTask => ({
    start,
    files: files.slice(start, end),
    layers: names.map((name) => ({ name, k: index.layers[name].k })),
    fit,
  });
  const position = new Map(files.map((file, i) => [file, i]));
  const save = async () => {
    for (const [name, tracker] of trackers) index.layers[name].top = tracker.lists;
    index.skipped.sort((a, b) => position.get(a.file)! - position.get(b.file)!);
    if (options.indexFile) await writeBytesAtomic(options.indexFile, JSON.stringify(index));
  };
  const skipped = new Set(index.skipped.map((s) => s.file));
  let done = files.length - plan(batch).reduce((n, s) => n + s.end - s.start, 0);
  let scannedNow = 0;
  let skippedNow = 0;
  let lastSave = performance.now();
  const merge = async (shard: ShardPlan, result: ShardResult) => {
    for (const name of shard.layers) {
      const tracker = trackers.get(name)!;
      for (const [c, list] of (result.top[name] ?? []).entries()) {
        for (const entry of list) tracker.offer(c, entry);
      }
      markScanned(index.layers[name], shard.start, shard.end);
    }
    for (const s of result.skipped) {
      if (skipped.has(s.file)) continue;
      skipped.add(s.file);
      index.skipped.push(s);
    }
    scannedNow += shard.end - shard.start - result.skipped.length;
    skippedNow += result.skipped.length;
    done += shard.end - shard.start;
    if (performance.now() - lastSave >= (options.saveEvery ?? 5) * 1000) {
      await save();
      lastSave = performance.now();
    }
    options.onProgress?.(done, files.length);
  };
  const scanHere = async (shard: ShardPlan) =>
    merge(shard, await scanShard(model, taskOf(shard), options.engine));
  let workers = poolSize(options);
  try {
    if (options.workers === 'auto' && workers > 1 && !options.runShards) {
      const probes = plan(Math.max(1, Math.floor(batch / 4))).slice(0, 2);
      const parallel = await worthWorkers(probes, files.length - done, workers, options, scanHere);
      if (!parallel) workers = 1;
    }
    // Planned after the probes (their files are covered now), so every shard is a full batch.
    const shards = plan(batch);
    workers = Math.max(1, Math.min(workers, shards.length));
    if (workers === 1 && !options.runShards) {
      for (const shard of shards) {
        options.signal?.throwIfAborted();
        await scanHere(shard);
      }
    } else {
      const merged = (i: number, result: ShardResult) => merge(shards[i], result);
      await scanOnPool(shards.map(taskOf), workers, options, merged);
    }
  } finally {
    await save();
  }
  const seconds = (performance.now() - started) / 1000;
  return { index, scannedNow, skippedNow, seconds, workers };
}

/**
 * Parallel must promise at least this speedup over one thread: the cores a pool counts may be
 * hyperthreads or shared, so `workers` threads rarely run `workers` times as fast.
 */
const REQUIRED_SPEEDUP = 1.5;

/**
 * `workers: 'auto'`: scans up to two small probe shards here and estimates the rest of the
 * scan from their time per image, then starts workers only when that estimate beats one
 * thread clearly: (start + rest / workers) * 1.5 < rest. The first probe warms the backend up,
 * so its estimate is high: it may only rule workers out (a scan under `autoSeconds` even at
 * that pace stays here), never in; the warm second probe decides. Deciding on the cold probe
 * and ignoring the start cost (about 1 s for tfjs and WASM plus opening the model: seconds for
 * VGG16's weights) made auto pick 2 workers for scans one thread finished twice as fast.
 */
async function worthWorkers(
  probes: ShardPlan[],
  remaining: number,
  workers: number,
  options: ScanOptions,
  scanHere: (shard: ShardPlan) => Promise<void>,
): Promise<boolean> {
  const floor = options.autoSeconds ?? 10;
  const start = options.workerStartSeconds ?? 2;
  for (const [i, probe] of probes.entries()) {
    options.signal?.throwIfAborted();
    const begun = performance.now();
    await scanHere(probe);
    const images = probe.end - probe.start;
    remaining -= images;
    const here = ((performance.now() - begun) / 1000 / images) * remaining;
    if (here < floor) return false;
    if (i === 0) continue;
    return (start + here / workers) * REQUIRED_SPEEDUP < here;
  }
  return false;
}

/** Runs the shards on `size` workers, merging each result as it arrives. */
async function scanOnPool(
  tasks: ShardTask[],
  size: number,
  options: ScanOptions,
  merge: (i: number, result: ShardResult) => Promise<void>,
): Promise<void> {
  if (!options.worker && !options.runShards) {
    throw new Error('scanPatches: workers > 1 needs options.worker (how workers open the model)');
  }
  const script = siblingScript(import.meta.url, 'patches-worker');
  const failed: string[] = [];
  const pool = options.runShards
    ? options.runShards(tasks, { signal: options.signal })
    : runPool<ShardTask, ShardResult>(tasks, {
        script,
        workerData: options.worker,
        size,
        signal: options.signal,
      });
  for await (const event of pool) {
    if (event.type === 'result') await merge(event.index, event.value);
    else if (event.type === 'failed') failed.push(event.error);
  }
  if (failed.length > 0) {
    throw new ConvscopeError(
      `${failed.length} of ${tasks.length} scan shards failed twice: ${failed[0]}`,
      'the finished shards are saved; run the same command again to resume',
    );
  }
}
