/**
 * Differentiable bilinear resampling of a batch of images under a rotation about the center,
 * built from gathers (forward) whose gradient is a segment sum. tfjs' own `Transform` kernel
 * has no gradient, and rotating through shears would need one matrix per row; four gathers
 * of precomputed neighbour indices with their bilinear weights are exact and cheap.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Rotates `image` [b, h, w, c] by `degrees` (counter-clockwise) about its center; pixels
 * that come from outside are `fill`.
 * @example rotate(images, 7, 0.5)
 */
export function rotate(image: tf.Tensor4D, degrees: number, fill = 0.5): tf.Tensor4D {
  if (degrees === 0) return tf.clone(image);
  const [b, h, w, c] = image.shape;
  const theta = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const [cy, cx] = [(h - 1) / 2, (w - 1) / 2];
  const n = h * w;
  // Neighbour k of output pixel p: index into the flattened input, plus its weight (0 when
  // the source lies outside, so that pixel takes `fill` instead).
  const indices = Array.from({ length: 4 }, () => new Int32Array(n));
  const weights = Array.from({ length: 4 }, () => new Float32Array(n));
  const inside = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      // Inverse map: where in the input this output pixel comes from.
      const sx = cos * (x - cx) - sin * (y - cy) + cx;
      const sy = sin * (x - cx) + cos * (y - cy) + cy;
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const [fx, fy] = [sx - x0, sy - y0];
      const corners: [number, number, number][] = [
        [y0, x0, (1 - fy) * (1 - fx)],
        [y0, x0 + 1, (1 - fy) * fx],
        [y0 + 1, x0, fy * (1 - fx)],
        [y0 + 1, x0 + 1, fy * fx],
      ];
      corners.forEach(([yy, xx, weight], k) => {
        const valid = yy >= 0 && yy < h && xx >= 0 && xx < w;
        indices[k][p] = valid ? yy * w + xx : 0;
        weights[k][p] = valid ? weight : 0;
        if (valid) inside[p] += weight;
      });
    }
  }
  return tf.tidy(() => {
    const flat = tf.reshape(image, [b, n, c]);
    let out: tf.Tensor = tf.mul(
      tf.tensor3d(
        inside.map((v) => 1 - v),
        [1, n, 1],
      ),
      fill,
    );
    for (let k = 0; k < 4; k++) {
      const gathered = tf.gather(flat, tf.tensor1d(indices[k], 'int32'), 1);
      out = tf.add(out, tf.mul(gathered, tf.tensor3d(weights[k], [1, n, 1])));
    }
    return tf.reshape(out, [b, h, w, c]) as tf.Tensor4D;
  });
}
