/** End-of-run measurements for `maximize`: MACO's transparency map as alpha, and the objective through the transforms. */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';

/**
 * A transparency map [batch, h, w, c] of |gradient| sums as alpha [batch, h, w, 1]: the channel
 * mean divided by its 99th percentile per image, clipped to [0, 1] (one bright pixel does not
 * make the rest transparent).
 */
export async function alphaMap(
  transparency: tf.Tensor4D,
): Promise<{ data: Float32Array; shape: [number, number, number, number] }> {
  const [batch, h, w] = transparency.shape;
  const mean = tf.mean(transparency, 3);
  const data = (await mean.data()) as Float32Array;
  mean.dispose();
  const n = h * w;
  for (let i = 0; i < batch; i++) {
    const part = data.subarray(i * n, (i + 1) * n);
    const sorted = Float32Array.from(part).sort();
    const top = sorted[Math.min(n - 1, Math.floor(0.99 * n))] || 1;
    for (let j = 0; j < n; j++) part[j] = Math.min(1, part[j] / top);
  }
  return { data, shape: [batch, h, w, 1] };
}

/** Random views that measure the objective with transforms at the end of a run. */
export const TRANSFORMED_VIEWS = 8;

/**
 * The mean objective of `images` over `TRANSFORMED_VIEWS` random views, drawn from its own
 * generator so the run's draws (and images) do not depend on this measurement.
 */
export async function throughViews(
  images: tf.Tensor4D,
  view: (image: tf.Tensor4D, rng: Rng) => tf.Tensor4D,
  measure: (images: tf.Tensor4D) => Promise<number[]>,
  rng: Rng,
): Promise<number[]> {
  const sums = new Array<number>(images.shape[0]).fill(0);
  for (let v = 0; v < TRANSFORMED_VIEWS; v++) {
    const seen = tf.tidy(() => view(images, rng));
    const scores = await measure(seen);
    seen.dispose();
    scores.forEach((s, i) => (sums[i] += s / TRANSFORMED_VIEWS));
  }
  return sums;
}
