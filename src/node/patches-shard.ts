/**
 * One shard of a patch scan, the unit of work of both the in-process scan and the worker pool:
 * decode a run of files (as `predict` does), run them through the model in one forward pass
 * for all the shard's layers, and return each layer's top-k lists over just these files plus
 * the files that would not decode. Everything in and out is plain data, so a shard can cross
 * a worker boundary; because top-k order is total (value, then image index, y, x), merging the
 * shards' lists in any order gives exactly the top-k of a scan of all files at once.
 */
import * as tf from '@tensorflow/tfjs';
import { modelInputOf, toArrayBatch, usesEngine } from '../core/engines/engine-tensors.js';
import type { ArrayBatch, NetworkEngine } from '../core/engines/network-engine.js';
import { TopKTracker, type TopEntry } from '../core/methods/top-k.js';
import type { VisModel } from '../core/models/vis-model.js';
import { loadImage, type Fit } from './images.js';
import type { ModelOptions } from './open-model.js';

/** What each scan worker is started with: how to open the same model on which backend. */
export interface PatchesWorkerData {
  model: ModelOptions;
  backend: string;
  /** The engine each worker runs the network on (default tfjs) and its threads. */
  engine?: 'tfjs' | 'onnx';
  threads?: number;
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
export async function scanShard(
  model: VisModel,
  shard: ShardTask,
  engine?: NetworkEngine,
): Promise<ShardResult> {
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
  const outputs = await forwardPass(
    model,
    good.map((g) => g.pixels),
    names,
    engine,
  );
  {
    for (const { name, k } of shard.layers) {
      const [, h, w, c] = outputs[name].shape;
      const values = outputs[name].data;
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
  }
  return { top, skipped };
}

/** The layers' outputs for decoded [0, 1] images, on the engine (TF.js when absent). */
async function forwardPass(
  model: VisModel,
  pixels: Float32Array[],
  names: string[],
  engine?: NetworkEngine,
): Promise<Record<string, ArrayBatch>> {
  const { height, width, channels } = model.input;
  const stack = () =>
    tf.stack(pixels.map((p) => tf.tensor3d(p, [height, width, channels]))) as tf.Tensor4D;
  if (usesEngine(engine)) {
    const images = stack();
    try {
      return await engine.activations(await modelInputOf(model, images), names);
    } finally {
      images.dispose();
    }
  }
  const outputs = tf.tidy(() => model.activations(stack(), names, { inference: true }));
  try {
    const result: Record<string, ArrayBatch> = {};
    for (const name of names) result[name] = await toArrayBatch(outputs[name]);
    return result;
  } finally {
    tf.dispose(Object.values(outputs));
  }
}
