/**
 * Convolution gradients computed as forward convolutions.
 *
 * The WASM backend runs its forward conv through XNNPACK (~22 GFLOP/s on a 2-core machine) but
 * its `Conv2DBackpropInput` is a plain loop (~1.9 GFLOP/s), and it has no
 * `Conv2DBackpropFilter` at all. Both gradients are convolutions themselves:
 *
 * - input gradient: the output gradient, dilated by the stride, convolved with the spatially
 *   flipped kernel whose in/out channels are swapped (the transposed convolution);
 * - filter gradient: the input with batch and channels swapped, convolved with the output
 *   gradient used as a kernel (dilated by the stride).
 *
 * Each function returns `null` where the identity does not apply (channels-first data, or a
 * stride and a dilation both above one); the caller then uses tfjs' own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { DerivedTensorCache } from './kernel-cache.js';

/** Geometry of one conv2d call, as tfjs computes it (NHWC). */
export type ConvGeometry = tf.backend_util.Conv2DInfo;

/** Flipped, transposed kernels, shared by all models in the process (256 MB at most). */
export const transposedKernelCache = new DerivedTensorCache(256 * 1024 * 1024);

/** `filter[h][w][i][o]` -> `filter[kh-1-h][kw-1-w][o][i]`: the kernel of the transposed conv. */
export function flipAndTransposeKernel(filter: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D);
}

/**
 * Inserts `stride - 1` zeros between neighbouring rows and columns of an NHWC tensor. Kept to
 * rank-4 pads: WebGL's packed pad shader does not compile for rank 5 or 6 (`lessThan` has no
 * ivec5/ivec6 overload).
 */
export function dilateSpatially(
  x: tf.Tensor4D,
  strideHeight: number,
  strideWidth: number,
): tf.Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return x;
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    // Columns: [n*h, w, 1, c] -> [n*h, w, sw, c]; rows: [n, h, 1, w*sw*c] -> [n, h, sh, ...].
    const columns = tf.pad(tf.reshape(x, [n * h, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    const rows = tf.pad(tf.reshape(columns, [n, h, 1, w * strideWidth * c]), [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
    ]);
    const full = tf.reshape(rows, [n, h * strideHeight, w * strideWidth, c]);
    const size: [number, number, number, number] = [
      n,
      (h - 1) * strideHeight + 1,
      (w - 1) * strideWidth + 1,
      c,
    ];
    return tf.slice(full, [0, 0, 0, 0], size) as tf.Tensor4D;
  });
}

/** Whether the forward-conv identities apply (NHWC, and not both strided and dilated). */
export function applies(geometry: ConvGeometry): boolean {
  const strided = geometry.strideHeight > 1 || geometry.strideWidth > 1;
  const dilated = geometry.dilationHeight > 1 || geometry.dilationWidth > 1;
  return geometry.dataFormat === 'channelsLast' && !(strided && dilated);
}

/**
 * Padding [[top, bottom], [left, right]] of the transposed convolution that maps the
 * stride-dilated output gradient back onto the input, or null where it would be negative.
 */
export function transposedPadding(
  geometry: ConvGeometry,
): [[number, number], [number, number]] | null {
  const { padInfo, inHeight, inWidth, effectiveFilterHeight, effectiveFilterWidth } = geometry;
  const top = effectiveFilterHeight - 1 - padInfo.top;
  const left = effectiveFilterWidth - 1 - padInfo.left;
  const bottom = inHeight - ((geometry.outHeight - 1) * geometry.strideHeight + 1) + padInfo.top;
  const right = inWidth - ((geometry.outWidth - 1) * geometry.strideWidth + 1) + padInfo.left;
  return Math.min(top, left, bottom, right) < 0
    ? null
    : [
        [top, bottom],
        [left, right],
      ];
}

/**
 * dL/dx of `conv2d(x, filter)` given dL/dy, as one forward convolution. The transposed kernel
 * comes from `transposedKernelCache`, so constant weights are transformed only once.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  geometry: ConvGeometry,
): tf.Tensor4D | null {
  const padding = applies(geometry) ? transposedPadding(geometry) : null;
  if (padding === null) return null;
  const kernel = transposedKernelCache.get(filter, (f) => flipAndTransposeKernel(f as tf.Tensor4D));
  return tf.tidy(() =>
    tf.conv2d(
      dilateSpatially(dy, geometry.strideHeight, geometry.strideWidth),
      kernel as tf.Tensor4D,
      1,
      [[0, 0], ...padding, [0, 0]],
      'NHWC',
      [geometry.dilationHeight, geometry.dilationWidth],
    ),
  );
}

/**
 * dL/dfilter of `conv2d(x, filter)` given dL/dy, as one forward convolution:
 * `dW[a][b][i][o] = sum_{n,y,x} xpad[n][y*s + a*d][x*s + b*d][i] * dy[n][y][x][o]`, i.e. a conv
 * of x^T (batch <-> channels) with dy^T as kernel, stride d and dilation s.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  geometry: ConvGeometry,
): tf.Tensor4D | null {
  if (!applies(geometry)) return null;
  const { padInfo, filterHeight, filterWidth, inHeight, inWidth } = geometry;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = geometry;
  // Bottom/right padding that makes the output exactly filterHeight x filterWidth; when the
  // forward conv left trailing input rows unused it is negative, and we slice instead.
  const bottom =
    (filterHeight - 1) * dilationHeight +
    (geometry.outHeight - 1) * strideHeight +
    1 -
    inHeight -
    padInfo.top;
  const right =
    (filterWidth - 1) * dilationWidth +
    (geometry.outWidth - 1) * strideWidth +
    1 -
    inWidth -
    padInfo.left;
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const raw = tf.conv2d(
      xT,
      dyT,
      [dilationHeight, dilationWidth],
      [
        [0, 0],
        [padInfo.top, Math.max(0, bottom)],
        [padInfo.left, Math.max(0, right)],
        [0, 0],
      ],
      'NHWC',
      [strideHeight, strideWidth],
    );
    const [inChannels, , , outChannels] = raw.shape;
    const exact = tf.slice(raw, [0, 0, 0, 0], [inChannels, filterHeight, filterWidth, outChannels]);
    return tf.transpose(exact, [1, 2, 0, 3]);
  });
}
