/**
 * Each optimized image's softmax probability of its own class: what `classes` records per item.
 * Computed where the float images are: in this process for a local run, on the worker for a
 * queued one (only PNGs and numbers come back through the queue).
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../core/models/vis-model.js';
import type { ImageBatch } from '../core/optimize/maximize.js';

/**
 * Image i's probability of class `classes[i]`.
 *
 * @example const [p] = await classProbabilities(model, { data, shape: [1, 28, 28, 1] }, [3]);
 */
export async function classProbabilities(
  model: VisModel,
  batch: ImageBatch,
  classes: number[],
): Promise<number[]> {
  const p = tf.tidy(() => model.predict(tf.tensor4d(batch.data, batch.shape)));
  const rows = (await p.array()) as number[][];
  p.dispose();
  return classes.map((k, i) => rows[i][k]);
}
