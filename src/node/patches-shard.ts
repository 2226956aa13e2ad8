/**
 * One shard of a patch scan, the unit of work of both the in-process scan and the worker pool:
 * decode a run of files (as `predict` does), run them through the model in one forward pass
 * for all the shard's layers, and return each layer's top-k lists over just these files plus
 * the files that would not decode. Everything in and out is plain data, so a shard can cross
 * a worker boundary; because top-k order is total (value, then image index, y, x), merging the
 * shards' lists in any order gives exactly the top-k of a scan of all files at once.
 */
import * as tf from '@tensorflow/tfjs';
import { TopKTracker, type TopEntry } from '../core/methods/top-k.js';
import type { VisModel } from '../core/models/vis-model.js';
import { loadImage, type Fit } from './images.js';
import type { ModelOptions } from './open-model.js';

/** What each scan worker is started with: how to open the same model on which backend. */
export interface PatchesWorkerData {
  model: ModelOptions;
  backend: string;
}

/** Files [start, start + files.length) of the scan, for these layers and their k. */
export interface ShardTask {
  start: number;
  files: string[];
  layers: { name: string; k: number }[];
  fit: Fit;
}

export interface ShardResult {
  /** Per layer, per channel, the top-k entries of this shard (`image` indexes the whole scan). */
  top: Record<string, TopEntry[][]>;
  /** Files of this shard that would not decode. */
  skipped: { file: string; error: string }[];
}

/**
 * Decodes and scans one shard.
 *
 * @example const { top } = await scanShard(model, { start: 0, files, layers, fit: 'cover' });
 */
export async function scanShard(model: VisModel, shard: ShardTask): Promise<ShardResult> {
  const decoded = await Promise.all(
    shard.files.map((file) => loadImage(file, model.input, shard.fit).catch((e: Error) => e)),
  );
  const skipped = shard.files.flatMap((file, i) => {
    const d = decoded[i];
    return d instanceof Error ? [{ file, error: d.message }] : [];
  });
  const good = decoded.flatMap((d, i) => (d instanceof Error ? [] : [{ i, pixels: d }]));
  const top: Record<string, TopEntry[][]> = {};
  const names = shard.layers.map((l) => l.name);
  if (good.length === 0) {
    for (const { name } of shard.layers) top[name] = [];
    return { top, skipped };
  }
  const { height, width, channels } = model.input;
  const outputs = tf.tidy(() => {
    const images = tf.stack(good.map((g) => tf.tensor3d(g.pixels, [height, width, channels])));
    return model.activations(images as tf.Tensor4D, names, { inference: true });
  });
  try {
    for (const { name, k } of shard.layers) {
      const tensor = outputs[name];
      const [, h, w, c] = tensor.shape as number[];
      const values = await tensor.data();
      const tracker = new TopKTracker(c, k);
      for (const [j, { i }] of good.entries()) {
        tracker.addImage(
          shard.start + i,
          values.subarray(j * h * w * c, (j + 1) * h * w * c),
          h,
          w,
        );
      }
      top[name] = tracker.lists;
    }
  } finally {
    tf.dispose(Object.values(outputs));
  }
  return { top, skipped };
}
