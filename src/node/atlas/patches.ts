/**
 * The atlas's top-k dataset patches: one scan over the images for every layer that still has
 * units without patches (the `patches` machinery tracks many layers in one pass, and saves its
 * index in the site, so a killed scan resumes), then each layer's patches and deconvnet
 * projections rendered for its pending units. Also writes `patches/manifest.json` in the form
 * of a `convscope patches` run, which the optimization reads to restart dead units from their
 * best patch.
 */
import path from 'node:path';
import type { NetworkEngine } from '../../core/engines/network-engine.js';
import type { VisModel } from '../../core/models/vis-model.js';
import { writeBytesAtomic } from '../atomic-write.js';
import { renderPatches, type PatchItem } from '../patches-render.js';
import { scanPatches, type PatchIndex, type PatchesWorkerData } from '../patches-scan.js';
import type { ShardResult, ShardTask } from '../patches-shard.js';
import type { ShardRunner } from '../worker-pool.js';
import type { AtlasPatch } from './plan.js';

export const PATCHES_DIR = 'patches';
export const PATCHES_MANIFEST = path.posix.join(PATCHES_DIR, 'manifest.json');

export interface AtlasScan {
  model: VisModel;
  siteDir: string;
  /** The folder given as --images (patch records name their image relative to it). */
  imagesDir: string;
  files: string[];
  layers: string[];
  k: number;
  engine?: NetworkEngine;
  worker?: PatchesWorkerData;
  runShards?: ShardRunner<ShardTask, ShardResult>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface LayerPatches {
  layer: string;
  grid: string;
  units: Map<number, AtlasPatch[]>;
}

/** One scan over the images for every layer (resumed from the site's saved index). */
export async function scanAtlasImages(scan: AtlasScan): Promise<PatchIndex> {
  const { index } = await scanPatches(scan.model, scan.files, scan.layers, {
    k: scan.k,
    indexFile: path.join(scan.siteDir, PATCHES_DIR, 'patches-index.json'),
    workers: scan.runShards ? undefined : scan.worker ? 'auto' : 1,
    engine: scan.engine,
    worker: scan.worker,
    runShards: scan.runShards,
    signal: scan.signal,
    onProgress: scan.onProgress,
  });
  return index;
}

/** One layer's patches and deconvnet projections for its `channels`. */
export async function renderAtlasLayer(
  scan: AtlasScan,
  index: PatchIndex,
  layer: string,
  channels: number[],
): Promise<LayerPatches> {
  const rendered = await renderPatches(scan.model, index, layer, {
    channels,
    k: scan.k,
    outDir: path.join(scan.siteDir, PATCHES_DIR),
    deconv: true,
  });
  const relative = (file: string) => path.relative(scan.siteDir, file).split(path.sep).join('/');
  const units = new Map<number, AtlasPatch[]>();
  for (const { index: unit, top } of rendered.filters) {
    units.set(
      unit,
      top.map((p: PatchItem) => ({
        file: relative(p.file),
        ...(p.deconvFile ? { deconv: relative(p.deconvFile) } : {}),
        image: path.relative(scan.imagesDir, p.image),
        y: p.y,
        x: p.x,
        activation: p.activation,
        box: p.box,
      })),
    );
  }
  return { layer, grid: relative(rendered.grid), units };
}

/**
 * The patches of the site's units as a `convscope patches` manifest (what dead-units.ts reads):
 * one entry per layer, each filter's top patches with the source image's full path.
 */
export async function writePatchesManifest(
  siteDir: string,
  imagesDir: string,
  units: { layer: string; index: number; patches?: AtlasPatch[] }[],
): Promise<string> {
  const layers = new Map<string, { index: number; top: unknown[] }[]>();
  for (const unit of units) {
    if (!unit.patches) continue;
    const top = unit.patches.map((p) => ({
      image: path.resolve(imagesDir, p.image),
      activation: p.activation,
      box: p.box,
      y: p.y,
      x: p.x,
      file: p.file,
    }));
    layers.set(unit.layer, [...(layers.get(unit.layer) ?? []), { index: unit.index, top }]);
  }
  const file = path.join(siteDir, PATCHES_MANIFEST);
  const entries = [...layers].map(([layer, filters]) => ({ layer, filters }));
  await writeBytesAtomic(file, JSON.stringify(entries));
  return file;
}
