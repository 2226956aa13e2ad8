/**
 * Streams image files through a classifier in batches: decode (sharp, fitted to the model's
 * input), one forward pass per batch, class probabilities out. Files that fail to decode are
 * yielded with their error instead of stopping the run. Shared by `predict` and `evaluate`.
 * The forward pass runs on `engine` when it is not TF.js (logits, then softmax when the model
 * has one).
 */
import * as tf from '@tensorflow/tfjs';
import { classProbabilities } from '../core/engines/engine-tensors.js';
import type { NetworkEngine } from '../core/engines/network-engine.js';
import type { VisModel } from '../core/models/vis-model.js';
import { loadImage, type Fit } from './images.js';

export interface Classified {
  file: string;
  /** Class probabilities, or undefined when the file did not decode. */
  probabilities?: Float32Array;
  error?: string;
}

export interface ClassifyOptions {
  batchSize?: number;
  fit?: Fit;
  /** Runs the network (when it is not TF.js; default: TF.js on the active backend). */
  engine?: NetworkEngine;
}

/**
 * Yields one batch of results at a time, in file order.
 * @example for await (const batch of classifyFiles(model, files)) bar.increment(batch.length)
 */
export async function* classifyFiles(
  model: VisModel,
  files: readonly string[],
  { batchSize = 16, fit = 'cover', engine }: ClassifyOptions = {},
): AsyncGenerator<Classified[]> {
  const size = model.input;
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const decoded = await Promise.all(
      batch.map((f) => loadImage(f, size, fit).catch((error: Error) => error)),
    );
    const good = decoded.flatMap((d) => (d instanceof Error ? [] : [d]));
    let rows: Float32Array[] = [];
    if (good.length > 0) {
      const images = tf.tidy(() =>
        tf.stack(
          good.map((pixels) => tf.tensor3d(pixels, [size.height, size.width, size.channels])),
        ),
      ) as tf.Tensor4D;
      const probabilities = await classProbabilities(model, images, engine).finally(() =>
        images.dispose(),
      );
      const flat = (await probabilities.data()) as Float32Array;
      probabilities.dispose();
      const classes = flat.length / good.length;
      rows = good.map((_, i) => flat.slice(i * classes, (i + 1) * classes));
    }
    let next = 0;
    yield decoded.map((d, i) =>
      d instanceof Error
        ? { file: batch[i], error: d.message }
        : { file: batch[i], probabilities: rows[next++] },
    );
  }
}

/** Index of the largest value. */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
