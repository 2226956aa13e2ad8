/**
 * Pictures of a patch scan: for each chosen channel of a layer, its top-k dataset examples
 * cropped to the receptive field of the strongest unit (from the image as the model saw it,
 * padded with mid-gray where the field leaves the image, so every patch of a layer has one
 * size), optionally each with its deconvnet projection cropped to the same box beside it (the
 * "patch | projection" rows of Zeiler & Fergus' figure 2). Writes one PNG per patch and one
 * grid per layer (a row per channel); a channel's patch PNGs from an earlier run that this one
 * does not write again (a larger --top, --deconv) are removed.
 */
import * as tf from '@tensorflow/tfjs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { normalizeSigned } from '../core/image/normalize.js';
import { cropRgba, rgbaFromFloats, solidRgba, type RgbaImage } from '../core/image/rgba.js';
import { attribute } from '../core/methods/attribution.js';
import { receptiveBox, unclampedBox } from '../core/models/receptive-field.js';
import type { VisModel } from '../core/models/vis-model.js';
import { writeBytesAtomic } from './atomic-write.js';
import { encodePng, writeGridPng, type GridTile } from './grid-png.js';
import { loadImage, type Fit } from './images.js';
import type { PatchIndex } from './patches-index.js';

export type Box = [number, number, number, number];

export interface PatchItem {
  image: string;
  y: number;
  x: number;
  activation: number;
  /** [x0, y0, x1, y1) in model-input pixels, clamped to the image. */
  box: Box;
  file: string;
  deconvFile?: string;
}

export interface RenderOptions {
  /** The layer's channels to render (a row each). */
  channels: number[];
  k: number;
  outDir: string;
  deconv?: boolean;
  fit?: Fit;
}

const GRAY: [number, number, number] = [128, 128, 128];

/**
 * Crops, projections and the grid for one layer of a scan.
 *
 * @example const { filters, grid } = await renderPatches(model, index, 'block2_conv1', options);
 */
export async function renderPatches(
  model: VisModel,
  index: PatchIndex,
  layer: string,
  options: RenderOptions,
): Promise<{ filters: { index: number; top: PatchItem[] }[]; grid: string }> {
  const node = model.layer(layer);
  const field = node.receptiveField!;
  const { height, width, channels } = model.input;
  const fit = options.fit ?? 'cover';
  const pixels = new Map<number, Float32Array>();
  const pixelsOf = async (i: number) => {
    if (!pixels.has(i)) pixels.set(i, await loadImage(index.files[i], model.input, fit));
    return pixels.get(i)!;
  };
  const dir = path.join(options.outDir, layer);
  const tiles: GridTile[] = [];
  const filters: { index: number; top: PatchItem[] }[] = [];
  let patchSize: [number, number] = [1, 1];
  for (const c of options.channels) {
    const entries = (index.layers[layer]?.top[c] ?? []).slice(0, options.k);
    const top: PatchItem[] = [];
    for (const [rank, entry] of entries.entries()) {
      const source = await pixelsOf(entry.image);
      const box = unclampedBox(field, entry.y, entry.x);
      patchSize = [box[2] - box[0], box[3] - box[1]];
      const patch = cropRgba(rgbaFromFloats(source, width, height, channels), box, GRAY);
      const file = path.join(dir, `c${c}_${rank}.png`);
      await writeBytesAtomic(file, await encodePng(patch));
      const item: PatchItem = {
        image: index.files[entry.image],
        y: entry.y,
        x: entry.x,
        activation: entry.value,
        box: receptiveBox(field, entry.y, entry.x, height, width),
        file,
      };
      tiles.push({ image: patch, label: entry.value.toPrecision(3) });
      if (options.deconv) {
        const projection = await deconvCrop(model, source, layer, c, entry, box);
        item.deconvFile = path.join(dir, `c${c}_${rank}_deconv.png`);
        await writeBytesAtomic(item.deconvFile, await encodePng(projection));
        tiles.push({ image: projection, label: 'deconv' });
      }
      top.push(item);
    }
    const missing = (options.k - entries.length) * (options.deconv ? 2 : 1);
    for (let i = 0; i < missing; i++) tiles.push({ image: solidRgba(1, 1, [0, 0, 0, 0]) });
    filters.push({ index: c, top });
  }
  await removeStalePatches(dir, options.channels, new Set(filters.flatMap(writtenFiles)));
  const grid = path.join(options.outDir, `${layer}.png`);
  await writeGridPng(grid, tiles, {
    columns: options.k * (options.deconv ? 2 : 1),
    rowLabels: options.channels.map((c) => `#${c}`),
    title: `${layer}: top ${options.k} of ${index.files.length - index.skipped.length} images per channel (${patchSize[0]}x${patchSize[1]} px patches)`,
  });
  return { filters, grid };
}

/** The files a channel's items name (its patches and projections). */
const writtenFiles = ({ top }: { top: PatchItem[] }) =>
  top
    .flatMap((item) => [item.file, ...(item.deconvFile ? [item.deconvFile] : [])])
    .map((f) => path.basename(f));

/**
 * Removes the patch PNGs of `channels` in `dir` that this run did not write: a run with a
 * smaller --top, or without --deconv, into a folder of an earlier run would otherwise leave
 * the old ranks beside the new ones, unnamed by the manifest.
 */
async function removeStalePatches(
  dir: string,
  channels: number[],
  written: Set<string>,
): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const wanted = new Set(channels);
  for (const name of names) {
    const match = /^c(\d+)_\d+(_deconv)?\.png$/.exec(name);
    if (match && wanted.has(Number(match[1])) && !written.has(name)) {
      await rm(path.join(dir, name), { force: true });
    }
  }
}

/** The deconvnet projection of one unit (one-hot seed), signed, cropped to `box`. */
async function deconvCrop(
  model: VisModel,
  source: Float32Array,
  layer: string,
  channel: number,
  entry: { y: number; x: number },
  box: Box,
): Promise<RgbaImage> {
  const { height, width, channels } = model.input;
  const image = tf.tensor3d(source, [height, width, channels]);
  try {
    const result = await attribute(model, image, 'deconvnet', {
      kind: 'unit',
      layer,
      channel,
      position: [entry.y, entry.x],
    });
    const picture = rgbaFromFloats(normalizeSigned(result.values), width, height, channels);
    return cropRgba(picture, box, GRAY);
  } finally {
    image.dispose();
  }
}
