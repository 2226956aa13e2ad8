/**
 * Depthwise convolution gradients for backends that lack them (the WASM backend has neither
 * `DepthwiseConv2dNativeBackpropInput` nor `...BackpropFilter`).
 *
 * - input gradient: a depthwise conv of the (stride-dilated) output gradient with the flipped
 *   kernel, one channel per (input channel, multiplier) pair, then summed over the multiplier;
 * - filter gradient: one strided slice of the padded input per kernel tap, multiplied by the
 *   output gradient and summed (kernels are small, so k*k cheap element-wise passes).
 */
import * as tf from '@tensorflow/tfjs';
import {
  applies,
  dilateSpatially,
  transposedKernelCache,
  transposedPadding,
  type ConvGeometry,
} from './conv2d-gradients.js';

/** dL/dx of `depthwiseConv2d(x, filter)` given dL/dy, or null where the identity does not apply. */
export function depthwiseInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  geometry: ConvGeometry,
): tf.Tensor4D | null {
  const padding = applies(geometry) ? transposedPadding(geometry) : null;
  if (padding === null) return null;
  const [kh, kw, channels, multiplier] = filter.shape;
  const kernel = transposedKernelCache.get(filter, (f) =>
    tf.reshape(tf.reverse(f, [0, 1]), [kh, kw, channels * multiplier, 1]),
  );
  return tf.tidy(() => {
    const perPair = tf.depthwiseConv2d(
      dilateSpatially(dy, geometry.strideHeight, geometry.strideWidth),
      kernel as tf.Tensor4D,
      1,
      [[0, 0], ...padding, [0, 0]],
      'NHWC',
      [geometry.dilationHeight, geometry.dilationWidth],
    );
    const [n, h, w] = perPair.shape;
    return tf.sum(tf.reshape(perPair, [n, h, w, channels, multiplier]), 4) as tf.Tensor4D;
  });
}

/** dL/dfilter of `depthwiseConv2d(x, filter)` given dL/dy, or null where it does not apply. */
export function depthwiseFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  geometry: ConvGeometry,
): tf.Tensor4D | null {
  if (!applies(geometry)) return null;
  const [kh, kw, channels, multiplier] = filterShape;
  const { padInfo, outHeight, outWidth, strideHeight, strideWidth } = geometry;
  const { dilationHeight, dilationWidth } = geometry;
  return tf.tidy(() => {
    const n = x.shape[0];
    const needHeight = (kh - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1;
    const needWidth = (kw - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1;
    const padded = tf.pad(x, [
      [0, 0],
      [padInfo.top, Math.max(0, needHeight - x.shape[1] - padInfo.top)],
      [padInfo.left, Math.max(0, needWidth - x.shape[2] - padInfo.left)],
      [0, 0],
    ]);
    const dyPairs = tf.reshape(dy, [n, outHeight, outWidth, channels, multiplier]);
    const taps: tf.Tensor[] = [];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const y0 = a * dilationHeight;
        const x0 = b * dilationWidth;
        const window = tf.stridedSlice(
          padded,
          [0, y0, x0, 0],
          [
            n,
            y0 + (outHeight - 1) * strideHeight + 1,
            x0 + (outWidth - 1) * strideWidth + 1,
            channels,
          ],
          [1, strideHeight, strideWidth, 1],
        );
        taps.push(tf.sum(tf.mul(tf.expandDims(window, 4), dyPairs), [0, 1, 2]));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, channels, multiplier]) as tf.Tensor4D;
  });
}
