/**
 * The backward rules of the ReLU that tell backprop-based attributions apart (Zeiler & Fergus
 * 2014; Springenberg et al. 2015). Every rule computes relu(x) forward; backward, with g the
 * gradient arriving from above and x the ReLU's input:
 * - gradient (saliency): g * [x > 0]  (tf.relu's own gradient)
 * - deconvnet: g * [g > 0]  (the forward mask is ignored)
 * - guided backprop: g * [g > 0] * [x > 0]
 * Max-pooling still routes gradients to the forward argmax (the deconvnet "switches") and
 * convolutions use the transposed filters, as in ordinary backprop.
 */
import * as tf from '@tensorflow/tfjs';
import type { ReluRule } from '../models/forward.js';

export type BackwardRule = 'gradient' | 'deconvnet' | 'guided';

const deconvnetRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.relu(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.relu(dy),
})) as ReluRule;

const guidedRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.relu(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.relu(dy), tf.step(saved[0])),
  };
}) as ReluRule;

/**
 * The ReLU to run the model with for a backward rule.
 *
 * @example tf.grad((x) => f(model.activations(x, [layer], { relu: reluFor('guided') })))
 */
export function reluFor(rule: BackwardRule): ReluRule {
  if (rule === 'deconvnet') return deconvnetRelu;
  if (rule === 'guided') return guidedRelu;
  return (x) => tf.relu(x);
}
