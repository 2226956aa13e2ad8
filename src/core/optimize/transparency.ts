/** MACO's transparency map as an image's alpha channel (see `maximize`'s result). */
import * as tf from '@tensorflow/tfjs';

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
