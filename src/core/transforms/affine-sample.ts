/**
 * Differentiable resampling of a batch of images by a sparse map (`SparseMap`: each output
 * pixel a weighted sum of a few input pixels plus a fill), built from gathers whose gradient
 * is a segment sum. Used for the rotation (tfjs' `Transform` kernel has no gradient) and for
 * the gradient of the bilinear resize: tfjs 4.22's ResizeBilinearGrad ignores half-pixel
 * centres (15% off a brute-force gradient on the CPU and WASM backends), so `resize` keeps
 * tfjs' fast forward kernel and takes its gradient from the transposed map.
 */
import * as tf from '@tensorflow/tfjs';
import { memoMap, resizeMap, rotateMap, transposeMap, type SparseMap } from './sparse-map.js';

/** `map` applied to `image` [b, h, w, c] (channels share the map). */
export function sampleMap(image: tf.Tensor4D, map: SparseMap): tf.Tensor4D {
  const [b, , , c] = image.shape;
  const n = map.outHeight * map.outWidth;
  return tf.tidy(() => {
    const flat = tf.reshape(image, [b, map.inHeight * map.inWidth, c]);
    let out: tf.Tensor = tf.tensor3d(map.constant, [1, n, 1]);
    for (let k = 0; k < map.taps; k++) {
      const taps = (values: Int32Array | Float32Array) => values.subarray(k * n, (k + 1) * n);
      const gathered = tf.gather(flat, tf.tensor1d(taps(map.index), 'int32'), 1);
      out = tf.add(out, tf.mul(gathered, tf.tensor3d(taps(map.weight), [1, n, 1])));
    }
    return tf.reshape(out, [b, map.outHeight, map.outWidth, c]) as tf.Tensor4D;
  });
}

/**
 * Rotates `image` [b, h, w, c] by `degrees` (counter-clockwise) about its center; pixels
 * that come from outside are `fill`.
 * @example rotate(images, 7, 0.5)
 */
export function rotate(image: tf.Tensor4D, degrees: number, fill = 0.5): tf.Tensor4D {
  if (degrees === 0) return tf.clone(image);
  const [, h, w] = image.shape;
  return sampleMap(image, rotateMap(h, w, degrees, fill));
}

/**
 * tf.image.resizeBilinear(image, size, false, true) with a correct gradient (see above).
 * @example resize(images, [128, 128])
 */
export function resize(image: tf.Tensor4D, [height, width]: [number, number]): tf.Tensor4D {
  const [, h, w] = image.shape;
  const resizeOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.image.resizeBilinear(args[0] as tf.Tensor4D, [height, width], false, true),
    gradFunc: (dy: tf.Tensor) => {
      const transposed = memoMap(`resize-transposed ${h} ${w} ${height} ${width}`, () =>
        transposeMap(resizeMap(h, w, height, width)),
      );
      return sampleMap(dy as tf.Tensor4D, transposed);
    },
  }));
  return resizeOp(image) as tf.Tensor4D;
}
