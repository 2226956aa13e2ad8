/**
 * Every backward rule of the ReLU, in TF.js, in one place: the rules that tell backprop-based
 * attributions apart (Zeiler & Fergus 2014; Springenberg et al. 2015) and Lucid's redirected
 * ReLU for activation maximization. Every rule computes relu(x) forward; backward, with g the
 * gradient arriving from above and x the ReLU's input:
 * - gradient (saliency): g * [x > 0]  (tf.relu's own gradient)
 * - deconvnet: g * [g > 0]  (the forward mask is ignored)
 * - guided backprop: g * [g > 0] * [x > 0]
 * - redirected: g * max([x > 0], [g > 0] * r), r one flag per image (optimize/redirected-relu.ts,
 *   which stays beside the optimizer that owns its schedule)
 * Max-pooling still routes gradients to the forward argmax (the deconvnet "switches") and
 * convolutions use the transposed filters, as in ordinary backprop. The rules are data
 * (`EngineRule`): the ONNX engine lowers the same four to graph nodes (node/onnx/lower-backward.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { EngineRule } from '../engines/network-engine.js';
import type { ReluRule } from '../models/forward.js';
import { redirectedRelu } from '../optimize/redirected-relu.js';

/** A backward rule of the ReLU (see the module comment). */
export type BackwardRule = EngineRule;

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
 * The ReLU to run the model with for a backward rule (`redirect`: one flag per image, for
 * `redirected`; all images when omitted).
 *
 * @example tf.grad((x) => f(model.activations(x, [layer], { relu: reluFor('guided') })))
 */
export function reluFor(rule: BackwardRule, redirect?: boolean[]): ReluRule {
  if (rule === 'deconvnet') return deconvnetRelu;
  if (rule === 'guided') return guidedRelu;
  if (rule === 'redirected') return redirectedRelu(redirect);
  return (x) => tf.relu(x);
}
