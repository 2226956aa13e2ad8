/**
 * The dataset scan behind `convscope patches`: images are decoded (as `predict` does: resized
 * and cropped to the model input) in batches, run through the model once for all requested
 * layers, and each layer's per-channel top-k tracker is fed. The result is a small JSON index
 * (file list, skipped files, top-k per layer) saved atomically every few seconds, so a scan
 * that is interrupted resumes where it stopped and a later run that asks for a layer and k it
 * already has does not rescan. Files that fail to decode are skipped and listed, never fatal.
 * Single process for now (decoding uses sharp's thread pool; a worker_threads pool is separate).
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { ConvscopeError } from '../core/errors.js';
import { TopKTracker, type TopEntry } from '../core/methods/top-k.js';
import type { VisModel } from '../core/models/vis-model.js';
import { writeBytesAtomic } from './atomic-write.js';
import { loadImage, type Fit } from './images.js';

export interface LayerIndex {
  k: number;
  /** Files (a prefix of `files`) already scanned for this layer. */
  scanned: number;
  /** Per channel, the top-k entries; `image` indexes `files`. */
  top: TopEntry[][];
}

export interface PatchIndex {
  version: 1;
  /** Identifies what the entries are valid for: model, input, fit and file list. */
  key: string;
  files: string[];
  skipped: { file: string; error: string }[];
  layers: Record<string, LayerIndex>;
}

export interface ScanOptions {
  k: number;
  batch?: number;
  fit?: Fit;
  /** Where the index lives (read first when present, rewritten during and after the scan). */
  indexFile?: string;
  /** Called after each batch. */
  onProgress?: (done: number, total: number) => void;
  /** Seconds between index saves during a scan (default 5). */
  saveEvery?: number;
}

export interface ScanResult {
  index: PatchIndex;
  /** Images decoded and run in this call (0 when the index already had everything). */
  scannedNow: number;
  seconds: number;
}

function indexKey(model: VisModel, files: string[], fit: Fit): string {
  const { height, width, channels, range, preprocess } = model.input;
  return JSON.stringify([model.name, height, width, channels, range, preprocess, fit, files]);
}

async function readIndex(file: string | undefined, key: string): Promise<PatchIndex | null> {
  if (!file) return null;
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const index = JSON.parse(text) as PatchIndex;
    return index.version === 1 && index.key === key ? index : null;
  } catch {
    return null;
  }
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
  const index: PatchIndex = (await readIndex(options.indexFile, key)) ?? {
    version: 1,
    key,
    files,
    skipped: [],
    layers: {},
  };
  const pending: string[] = [];
  for (const name of layers) {
    const node = model.layer(name);
    const entry = index.layers[name];
    if (entry && entry.k >= options.k && entry.scanned === files.length) continue;
    if (!entry || entry.k < options.k) {
      index.layers[name] = { k: options.k, scanned: 0, top: [] };
    }
    if (!node.spatial || !node.receptiveField) {
      throw new ConvscopeError(
        `layer '${name}' (${node.kind}) has no spatial map with a receptive field`,
        'choose a convolution or pooling layer (see `convscope layers`)',
      );
    }
    pending.push(name);
  }
  const trackers = new Map(
    pending.map((name) => {
      const entry = index.layers[name];
      const channels = model.layer(name).channels ?? 0;
      return [name, new TopKTracker(channels, entry.k, entry.scanned > 0 ? entry.top : undefined)];
    }),
  );
  const save = async () => {
    for (const [name, tracker] of trackers) index.layers[name].top = tracker.lists;
    if (options.indexFile) await writeBytesAtomic(options.indexFile, JSON.stringify(index));
  };
  const from = Math.min(files.length, ...pending.map((n) => index.layers[n].scanned));
  const batchSize = Math.max(1, options.batch ?? 32);
  const { height, width, channels } = model.input;
  const skipped = new Set(index.skipped.map((s) => s.file));
  let scannedNow = 0;
  let lastSave = performance.now();
  for (let start = from; start < files.length && pending.length > 0; start += batchSize) {
    const batch = files.slice(start, start + batchSize).map((file, i) => ({ file, i: start + i }));
    const decoded = await Promise.all(
      batch.map(({ file }) => loadImage(file, model.input, fit).catch((e: Error) => e)),
    );
    const good = batch.filter((_, i) => !(decoded[i] instanceof Error));
    for (const [i, d] of decoded.entries()) {
      if (d instanceof Error && !skipped.has(batch[i].file)) {
        skipped.add(batch[i].file);
        index.skipped.push({ file: batch[i].file, error: d.message });
      }
    }
    if (good.length > 0) {
      const pixels = decoded.filter((d): d is Float32Array => !(d instanceof Error));
      const outputs = tf.tidy(() => {
        const images = tf.stack(pixels.map((p) => tf.tensor3d(p, [height, width, channels])));
        return model.activations(images as tf.Tensor4D, pending);
      });
      for (const name of pending) {
        const tensor = outputs[name];
        const [, h, w, c] = tensor.shape as number[];
        const values = await tensor.data();
        const tracker = trackers.get(name)!;
        const scanned = index.layers[name].scanned;
        for (const [j, { i }] of good.entries()) {
          if (i < scanned) continue;
          tracker.addImage(i, values.subarray(j * h * w * c, (j + 1) * h * w * c), h, w);
        }
      }
      tf.dispose(Object.values(outputs));
    }
    const end = Math.min(files.length, start + batchSize);
    for (const name of pending)
      index.layers[name].scanned = Math.max(index.layers[name].scanned, end);
    scannedNow += batch.length;
    if (performance.now() - lastSave >= (options.saveEvery ?? 5) * 1000) {
      await save();
      lastSave = performance.now();
    }
    options.onProgress?.(end, files.length);
  }
  await save();
  return { index, scannedNow, seconds: (performance.now() - started) / 1000 };
}
