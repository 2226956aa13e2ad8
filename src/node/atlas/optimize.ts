/**
 * The atlas's optimized images: a batch of units of one layer goes through `visualize` (the
 * same run as `convscope filters`: preset, transforms, dead units restarted from their best
 * patch, diversity facets, worker threads or the queue) into a scratch folder inside the site,
 * and each unit's PNG is then stored at the size it was optimized at (`visualize` upscales
 * small images for people; the page upscales with CSS instead, so the site stays small).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { NetworkEngine } from '../../core/engines/network-engine.js';
import type { VisModel } from '../../core/models/vis-model.js';
import type { OptimizationSettings } from '../../core/optimize/settings.js';
import { writeBytesAtomic } from '../atomic-write.js';
import type {
  MaximizeShard,
  MaximizeShardResult,
  MaximizeWorkerData,
  ShardFrame,
} from '../maximize-pool.js';
import { visualize, type ManifestItem } from '../visualize.js';
import type { ShardRunner } from '../worker-pool.js';
import { layerFolder, type AtlasUnit } from './plan.js';

export const UNITS_DIR = 'units';
const WORK_DIR = '.work';

/** How the optimization runs (the same for every batch of an atlas). */
export interface OptimizeSetup {
  model: VisModel;
  settings: OptimizationSettings;
  preset: string;
  seed: number;
  backend: string;
  engine: NetworkEngine;
  tool: string;
  workers: number;
  workerData: MaximizeWorkerData;
  /** A fresh queue runner per batch (`--queue`), or none (threads here). */
  runShards?: () => ShardRunner<MaximizeShard, MaximizeShardResult, ShardFrame>;
  /** A `patches` manifest with each unit's best patch (dead units restart from it). */
  patches?: string;
  signal?: AbortSignal;
}

export interface OptimizedUnit {
  index: number;
  image: string;
  facets?: string[];
  stats: NonNullable<AtlasUnit['stats']>;
  seconds: number;
}

/** The PNG at `file` reduced by its upscale factor to `size` px (exact: nearest both ways). */
async function atModelSize(file: string, size: number): Promise<Buffer> {
  return sharp(file).resize(size, size, { kernel: 'nearest' }).png().toBuffer();
}

/**
 * Optimizes `units` (indices of `layer`) in one run and stores their images in the site.
 *
 * @example const done = await optimizeUnits(setup, 'block1_conv1', [0, 1, 2], siteDir, onStep);
 */
export async function optimizeUnits(
  setup: OptimizeSetup,
  layer: string,
  units: number[],
  siteDir: string,
  onStep?: (step: number) => void,
): Promise<OptimizedUnit[]> {
  const work = path.join(siteDir, WORK_DIR, `${layerFolder(layer)}-${units[0]}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const items = units.map((k) => ({
    spec: { kind: 'channel', layer, channel: k } as const,
    index: k,
    layer,
    stem: `${layerFolder(layer)}_${k}`,
  }));
  const manifest = await visualize({
    model: setup.model,
    items,
    settings: setup.settings,
    preset: setup.preset,
    seed: setup.seed,
    backend: setup.backend,
    engine: setup.engine,
    tool: setup.tool,
    outDir: work,
    signal: setup.signal,
    workers: Math.min(setup.workers, units.length),
    workerData: setup.workerData,
    runShards: setup.runShards?.(),
    ...(setup.patches ? { patches: setup.patches } : {}),
    onProgress: (step) => onStep?.(step),
  });
  if (manifest.aborted) throw new Error('aborted');
  const size = manifest.size;
  const seconds = manifest.seconds / units.length;
  const byUnit = new Map<number, ManifestItem[]>();
  for (const item of manifest.items)
    byUnit.set(item.index, [...(byUnit.get(item.index) ?? []), item]);
  const results: OptimizedUnit[] = [];
  for (const k of units) {
    const facets = byUnit.get(k) ?? [];
    const files: string[] = [];
    for (const item of facets) {
      const name = item.facet === undefined ? `${k}.png` : `${k}_d${item.facet}.png`;
      const file = path.posix.join(UNITS_DIR, layerFolder(layer), name);
      await writeBytesAtomic(
        path.join(siteDir, file),
        await atModelSize(path.join(work, item.file), size),
      );
      files.push(file);
    }
    const first = facets[0];
    results.push({
      index: k,
      image: files[0],
      ...(files.length > 1 ? { facets: files } : {}),
      stats: {
        optimized: first.activation.best,
        dead: Boolean(first.dead),
        ...(first.reason ? { reason: first.reason } : {}),
        saturated: first.stats.saturated,
        highFrequency: first.stats.highFrequency,
      },
      seconds,
    });
  }
  await rm(work, { recursive: true, force: true });
  return results;
}
