/**
 * The max-pool gradient with one tie rule on every backend: each output's gradient goes to
 * the FIRST maximum of its window in row-major order (PyTorch's rule, and the CPU backend's).
 *
 * Why: tfjs' WebGL and WebGPU MaxPoolGrad kernels compare with `>=` and so route a tied
 * window's gradient to its LAST maximum, while the CPU backend (and our WASM kernel) route it
 * to the first. Ties are common where ReLU outputs are zero (905 of 25,088 windows of the
 * embedded model's block1_pool at the first step of a 4-filter lucid run), and Lucid's
 * redirected ReLU passes gradient through those zeros, so the same seed gave different images
 * on WASM and on a GPU (3% apart after two steps; see the GPU kernel tests in test/e2e/).
 *
 * Built from plain tfjs ops, so it runs on any backend: one strided slice of the (padded)
 * input per window tap, a running "already taken" mask in tap order, and each tap's share
 * placed back by a stride dilation and a pad.
 */
import * as tf from '@tensorflow/tfjs';
import { dilateSpatially } from './conv2d-gradients.js';

/** Geometry of one max-pool call, as tfjs computes it (NHWC). */
export type PoolGeometry = tf.backend_util.Conv2DInfo;

/** Below any activation: padded taps never win a window (tf.pad takes no -Infinity on WebGL). */
const BELOW = -3.4e38;

/**
 * dL/dx of `maxPool(x)` given dL/dy, ties to the first maximum of each window.
 * @example maxPoolGradientFirstMax(dy, x, tf.backend_util.computePool2DInfo(x.shape, 2, 2, 1, 'valid'))
 */
export function maxPoolGradientFirstMax(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  geometry: PoolGeometry,
): tf.Tensor4D {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = geometry;
  const { outHeight, outWidth, inHeight, inWidth } = geometry;
  const [n, , , c] = x.shape;
  // Padded extent covering every tap of every window (and at least the input itself).
  const height = Math.max((outHeight - 1) * strideHeight + filterHeight, padInfo.top + inHeight);
  const width = Math.max((outWidth - 1) * strideWidth + filterWidth, padInfo.left + inWidth);
  return tf.tidy(() => {
    const padded = tf.pad(
      x,
      [
        [0, 0],
        [padInfo.top, height - inHeight - padInfo.top],
        [padInfo.left, width - inWidth - padInfo.left],
        [0, 0],
      ],
      BELOW,
    );
    const spanHeight = (outHeight - 1) * strideHeight + 1;
    const spanWidth = (outWidth - 1) * strideWidth + 1;
    const taps: [number, number, tf.Tensor4D][] = [];
    for (let fy = 0; fy < filterHeight; fy++) {
      for (let fx = 0; fx < filterWidth; fx++) {
        const tap = tf.stridedSlice(
          padded,
          [0, fy, fx, 0],
          [n, fy + spanHeight, fx + spanWidth, c],
          [1, strideHeight, strideWidth, 1],
        ) as tf.Tensor4D;
        taps.push([fy, fx, tap]);
      }
    }
    const max = taps.slice(1).reduce<tf.Tensor>((m, [, , t]) => tf.maximum(m, t), taps[0][2]);
    let taken: tf.Tensor = tf.zerosLike(dy);
    const shares: tf.Tensor4D[] = [];
    for (const [fy, fx, tap] of taps) {
      // 1 where this tap is a maximum and no earlier tap was (float masks: fast everywhere).
      const first = tf.mul(tf.cast(tf.equal(tap, max), 'float32'), tf.sub(1, taken));
      taken = tf.add(taken, first);
      const placed = dilateSpatially(tf.mul(dy, first) as tf.Tensor4D, strideHeight, strideWidth);
      shares.push(
        tf.pad(placed, [
          [0, 0],
          [fy, height - fy - spanHeight],
          [fx, width - fx - spanWidth],
          [0, 0],
        ]),
      );
    }
    const full = shares.length === 1 ? shares[0] : tf.addN(shares);
    return tf.slice(full, [0, padInfo.top, padInfo.left, 0], [n, inHeight, inWidth, c]);
  });
}
