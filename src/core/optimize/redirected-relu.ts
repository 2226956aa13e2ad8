/**
 * Lucid's redirected ReLU: the forward pass is an ordinary ReLU, but where the input is
 * negative the gradient still passes when it would push the input up. Used for the first
 * steps of an optimization so that units which start dead (all inputs negative on a grey
 * image) still receive a signal, instead of yielding a grey image. With a per-image mask the
 * redirection applies only to the images whose unit is still dead, so the others keep
 * ordinary gradients.
 */
import * as tf from '@tensorflow/tfjs';
import type { ReluRule } from '../models/forward.js';

/**
 * A ReluRule for `VisModel.activations(..., { relu })`; `redirect` (one flag per image)
 * limits the redirection to those images (all when omitted).
 */
export function redirectedRelu(redirect?: boolean[]): ReluRule {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return {
      value: tf.relu(x),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        // Float gates (WASM's bool ops with broadcasting are slow): pass where x > 0, or
        // where the gradient is positive (and the image is redirected).
        let upward = tf.step(dy);
        if (redirect) {
          const shape = [redirect.length, ...new Array<number>(dy.rank - 1).fill(1)];
          upward = tf.mul(upward, tf.tensor(redirect.map(Number), shape));
        }
        return tf.mul(dy, tf.maximum(tf.step(saved[0]), upward));
      },
    };
  }) as ReluRule;
}
