/**
 * Penalties: differentiable terms subtracted from the objective, per image. Total variation
 * (Mahendran & Vedaldi 2015) discourages high-frequency noise; the Lp norm of the centred image
 * (Simonyan et al. 2013 use L2) keeps values moderate.
 */
import * as tf from '@tensorflow/tfjs';

export interface PenaltySettings {
  /** Weight of the mean absolute difference between neighbouring pixels. */
  totalVariation: number;
  /** Weight of the mean |x - 0.5|^p. */
  lpNorm: number;
  /** The p of the Lp norm. */
  p: number;
}

/** Mean absolute difference between vertical and horizontal neighbours, per image: [b]. */
export function totalVariation(image: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const [, h, w] = image.shape;
    const dy = tf.abs(
      tf.sub(
        tf.slice(image, [0, 1, 0, 0], [-1, h - 1, -1, -1]),
        tf.slice(image, [0, 0, 0, 0], [-1, h - 1, -1, -1]),
      ),
    );
    const dx = tf.abs(
      tf.sub(
        tf.slice(image, [0, 0, 1, 0], [-1, -1, w - 1, -1]),
        tf.slice(image, [0, 0, 0, 0], [-1, -1, w - 1, -1]),
      ),
    );
    return tf.add(tf.mean(dy, [1, 2, 3]), tf.mean(dx, [1, 2, 3])) as tf.Tensor1D;
  });
}

/** Mean |x - 0.5|^p per image: [b]. */
export function lpNorm(image: tf.Tensor4D, p: number): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.pow(tf.abs(tf.sub(image, 0.5)), p), [1, 2, 3]) as tf.Tensor1D);
}

/** The weighted penalty per image (zero tensor when none is enabled). */
export function penalty(image: tf.Tensor4D, settings: PenaltySettings): tf.Tensor1D {
  return tf.tidy(() => {
    let total: tf.Tensor = tf.zeros([image.shape[0]]);
    if (settings.totalVariation > 0)
      total = tf.add(total, tf.mul(totalVariation(image), settings.totalVariation));
    if (settings.lpNorm > 0)
      total = tf.add(total, tf.mul(lpNorm(image, settings.p), settings.lpNorm));
    return total as tf.Tensor1D;
  });
}
