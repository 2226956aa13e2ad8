/**
 * Runs activation maximization for a list of items (filters or classes) and writes what a
 * person looks at: one PNG per item (upscaled when the model input is small), a labeled grid
 * (one row per layer, or per 10 classes), optional history frames with a strip per item, and
 * `manifest.json` with everything needed to rebuild the images (CLI.md's manifest). The
 * optimization itself is `maximize` in core; this module only consumes its frames.
 */
import path from 'node:path';
import type { NetworkEngine } from '../core/engines/network-engine.js';
import { rgbaFromFloats, type RgbaImage } from '../core/image/rgba.js';
import type { VisModel } from '../core/models/vis-model.js';
import { objectiveFromSpec } from '../core/objectives/objective-spec.js';
import { effectiveStepRule, maximize, type ImageBatch } from '../core/optimize/maximize.js';
import { lastResult } from '../core/run/last-result.js';
import {
  historyEntry,
  itemFile,
  manifestItem,
  manifestLayer,
  round6,
  type Manifest as RunManifest,
  type ManifestItem,
} from '../core/run/run-manifest.js';
import type { OptimizationSettings } from '../core/optimize/settings.js';
import { PRESETS } from '../core/optimize/presets.js';
import { overrideFlags } from '../core/optimize/setting-options.js';
import { writeBytesAtomic } from './atomic-write.js';
import { encodePng, viewScale, writeGridPng, type GridTile } from './grid-png.js';
import {
  maximizeOnPool,
  type MaximizeShard,
  type MaximizeShardResult,
  type MaximizeWorkerData,
  type ShardFrame,
} from './maximize-pool.js';
import type { ShardRunner } from './worker-pool.js';
import { caption, visualizeGrid } from './visualize-grid.js';
import { classProbabilities } from './class-probabilities.js';
import { writeRawArray } from './raw-arrays.js';
import { imageStats } from '../core/evaluation/image-stats.js';
import { reviveDeadUnits } from './dead-units.js';
import { facetItems, unitScores } from './visualize-facets.js';
import type { VisualizeItem } from './visualize-item.js';
import { eventTurn } from './event-turn.js';

export type { VisualizeItem };

export interface VisualizeRun {
  model: VisModel;
  items: VisualizeItem[];
  settings: OptimizationSettings;
  preset: string;
  seed: number;
  backend: string;
  /** The engine that runs the network in this thread (absent: TF.js). */
  engine?: NetworkEngine;
  tool: string;
  outDir: string;
  /** Keep every k-th step as a frame (0: no history). */
  history?: number;
  signal?: AbortSignal;
  /** Called with the step reached and every item's latest objective value (progress bars). */
  onProgress?: (step: number, scores: number[]) => void;
  /** Worker threads (1: this thread, one batch). */
  workers?: number;
  /** Items per forward/backward pass (default: all of a worker's items in one batch). */
  batchSize?: number;
  /** How worker threads open the model (needed when workers > 1 or batches are cut). */
  workerData?: MaximizeWorkerData;
  /** Adds the target class's probability per item. */
  withProbability?: boolean;
  /** Also writes each image's float values as `<stem>.npy` here (and history frames under history/). */
  rawDir?: string;
  /** Writes MACO's transparency map as each PNG's alpha channel (when the run has one). */
  alpha?: boolean;
  /** Dataset images: dead units restart from their best patch in them (dead-units.ts). */
  images?: string[];
  /** Or a `patches` run's manifest.json with each channel's best patch. */
  patches?: string;
  /** Runs the shards on BullMQ workers (`--queue`) instead of local worker threads. */
  runShards?: ShardRunner<MaximizeShard, MaximizeShardResult, ShardFrame>;
}

export type { ManifestItem };

/** The CLI's manifest: core run-manifest.ts's, with the grid it draws. */
export type Manifest = RunManifest & { grid: string };

/** Item `i` of a batch as float values and its NHWC shape [1, h, w, c]. */
function valuesOf(batch: ImageBatch, i: number): [Float32Array, number[]] {
  const [, h, w, c] = batch.shape;
  const n = h * w * c;
  return [batch.data.subarray(i * n, (i + 1) * n), [1, h, w, c]];
}

function imageOf(batch: ImageBatch, i: number): RgbaImage {
  const [, h, w, c] = batch.shape;
  const n = h * w * c;
  return rgbaFromFloats(batch.data.subarray(i * n, (i + 1) * n), w, h, c);
}

/** True when the run goes to worker threads (several workers, or batches cut smaller). */
function pooled(run: VisualizeRun): boolean {
  const workers = Math.min(run.workers ?? 1, run.items.length);
  const cut = workers > 1 || (run.batchSize !== undefined && run.batchSize < run.items.length);
  return cut || run.runShards !== undefined;
}

/** Runs the optimization in this thread (one batch) or on a pool of workers. */
async function optimize(run: VisualizeRun): Promise<MaximizeShardResult> {
  const specs = run.items.map((i) => i.spec);
  const workers = Math.min(run.workers ?? 1, specs.length);
  if (pooled(run)) {
    if (!run.workerData) throw new Error('visualize: a pool run needs workerData');
    return maximizeOnPool({
      specs,
      settings: run.settings,
      seed: run.seed,
      history: run.history ?? 0,
      workers,
      batchSize: run.batchSize,
      workerData: run.workerData,
      signal: run.signal,
      onProgress: run.onProgress,
      runShards: run.runShards,
    });
  }
  return lastResult(
    maximize(run.model, specs.map(objectiveFromSpec), run.settings, {
      seed: run.seed,
      signal: run.signal,
      history: run.history ?? 0,
      engine: run.engine,
      yieldControl: eventTurn,
    }),
    (frame) => run.onProgress?.(frame.step, frame.scores),
  );
}

/**
 * Optimizes all items (one batch, or one batch per worker) and writes the files; returns the
 * manifest.
 * @example const manifest = await visualize({ model, items, settings, preset: 'lucid', ... })
 */
export async function visualize(run: VisualizeRun): Promise<Manifest> {
  const { model, items, settings, outDir, history = 0 } = run;
  const size = Math.min(model.input.height, model.input.width);
  const scale = viewScale(size);
  const done = await optimize(run);
  // With --diversity, N images per item, each captioned by its unit alone (no diversity term).
  const diverse = (settings.diversity?.images ?? 1) > 1;
  const facets = facetItems(items, settings.diversity?.images ?? 1);
  // Thread and queue workers measure them on the float images (a queued run's stay there).
  const unit = diverse
    ? (done.unitScores ?? (await unitScores(model, facets, done.best)))
    : done.bestScores;
  const revived = await reviveDeadUnits(
    {
      model,
      settings,
      seed: run.seed,
      engine: run.engine,
      images: run.images,
      patches: run.patches,
    },
    facets.map((f) => f.spec),
    done,
    unit,
  );
  const manifestItems: ManifestItem[] = [];
  const tiles: GridTile[] = [];
  // A queued run's workers computed them from the float images, which stay there.
  const probability = run.withProbability
    ? (done.probabilities ??
      (await classProbabilities(
        model,
        done.best,
        facets.map((item) => item.index),
      )))
    : undefined;
  // A queued run's workers measured the statistics on the float images, which stay there.
  const stats = facets.map((_, i) => {
    const [values, [, h, w, c]] = valuesOf(done.best, i);
    return done.itemStats?.[i] ?? imageStats(values, h, w, c);
  });
  const outcome = { ...done, unitScores: unit, stats };
  for (const [i, item] of facets.entries()) {
    const image = imageOf(done.best, i);
    if (run.alpha && done.alpha) {
      const [alpha] = valuesOf(done.alpha, i);
      alpha.forEach((a, p) => (image.data[p * 4 + 3] = Math.round(a * 255)));
    }
    const file = itemFile(item.stem);
    await writeBytesAtomic(path.join(outDir, file), await encodePng(image, scale));
    const entry = manifestItem(item, i, outcome, {
      ...revived.get(i),
      ...(probability ? { probability: round6(probability[i]) } : {}),
      ...(run.rawDir === undefined
        ? {}
        : { raw: await writeRawArray(run.rawDir, `${item.stem}.npy`, ...valuesOf(done.best, i)) }),
    });
    if (history > 0) {
      entry.history = [];
      const strip: GridTile[] = [];
      for (const frame of done.history) {
        const historyItem = historyEntry(item.stem, frame.step, frame.scores[i]);
        const frameFile = historyItem.file;
        const frameImage = imageOf(frame.images, i);
        await writeBytesAtomic(path.join(outDir, frameFile), await encodePng(frameImage, scale));
        entry.history.push({
          ...historyItem,
          ...(run.rawDir === undefined
            ? {}
            : {
                raw: await writeRawArray(
                  run.rawDir,
                  frameFile.replace(/\.png$/, '.npy'),
                  ...valuesOf(frame.images, i),
                ),
              }),
        });
        strip.push({ image: frameImage, label: `step ${frame.step}` });
      }
      await writeGridPng(path.join(outDir, 'history', `${item.stem}_strip.png`), strip, {
        columns: strip.length,
        title: `${item.layer ?? 'class'} ${item.label ?? item.index}${item.spec.kind === 'neuron' ? ' (neuron)' : ''}: history`,
      });
    }
    manifestItems.push(entry);
    tiles.push({ image, label: caption(item, unit[i], probability?.[i]) });
  }
  await writeGridPng(
    path.join(outDir, 'grid.png'),
    tiles,
    visualizeGrid(
      model.name,
      facets,
      unit,
      `${runTitle(run.preset, settings)}, ${done.steps} steps`,
      {
        scale,
        probability,
      },
    ),
  );
  const manifest: Manifest = {
    tool: run.tool,
    model: model.name,
    layer: manifestLayer(items),
    preset: run.preset,
    steps: done.steps,
    size,
    seed: run.seed,
    backend: run.backend,
    engine: run.engine?.name ?? 'tfjs',
    engineDetails: pooled(run)
      ? `${run.workerData?.engine ?? 'tfjs'} in ${run.workers} worker threads${run.workerData?.engine === 'onnx' ? `, ${run.workerData.threads ?? 1} ONNX Runtime threads each` : ''}`
      : (run.engine?.description ?? 'tfjs'),
    seconds: round6(done.seconds),
    aborted: done.aborted,
    workers: Math.max(1, Math.min(run.workers ?? 1, items.length)),
    ...(run.batchSize !== undefined && run.batchSize < items.length
      ? { batch: run.batchSize }
      : {}),
    settings,
    effectiveLearningRate: effectiveStepRule(settings, size).lr,
    items: manifestItems,
    grid: 'grid.png',
  };
  await writeBytesAtomic(
    path.join(outDir, 'manifest.json'),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  return manifest;
}

/** The preset's name, with the flags that changed its settings (a preset by another name: as is). */
function runTitle(preset: string, settings: OptimizationSettings): string {
  const known = PRESETS.find((p) => p.name === preset);
  const flags = known ? overrideFlags(known.settings, settings) : '';
  return flags ? `${preset} ${flags}` : preset;
}
