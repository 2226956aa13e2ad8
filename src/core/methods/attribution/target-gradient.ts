/**
 * d target / d image under a ReLU backward rule, the one backward pass that deconvnet, guided
 * backprop, saliency and the gradient-based methods built on them share: one TF.js tape, or on
 * another engine its vector-Jacobian product from the target's seeds, chained through
 * preprocessing to the [0, 1] image in TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { chainToImages, modelInputOf, usesEngine } from '../../engines/engine-tensors.js';
import type { NetworkEngine } from '../../engines/network-engine.js';
import type { VisModel } from '../../models/vis-model.js';
import { targetObjective, targetSeeds, type ResolvedTarget } from '../attribution-target.js';
import { reluFor, type BackwardRule } from '../relu-rules.js';

/** d objective / d image for images [n, h, w, c] under a ReLU backward rule, on TF.js. */
export function projection(
  model: VisModel,
  image: tf.Tensor4D,
  target: ResolvedTarget,
  rule: BackwardRule,
): tf.Tensor4D {
  const relu = reluFor(rule);
  return tf.tidy(
    () =>
      tf.grad((x) => targetObjective(model, x as tf.Tensor4D, target, { relu }))(
        image,
      ) as tf.Tensor4D,
  );
}

/**
 * d objective / d images for a batch [n, h, w, c] under a rule: the engine's vector-Jacobian
 * product when `engine` is not TF.js, else `projection` (one TF.js tape).
 *
 * @example const g = await targetGradient(model, images, target, 'guided', engine);
 */
export async function targetGradient(
  model: VisModel,
  images: tf.Tensor4D,
  target: ResolvedTarget,
  rule: BackwardRule,
  engine?: NetworkEngine,
): Promise<tf.Tensor4D> {
  if (!usesEngine(engine)) return projection(model, images, target, rule);
  const input = await modelInputOf(model, images);
  const seeds = await targetSeeds(model, target, input, engine);
  const { gradient } = await engine.vjp({ input, seeds, rule });
  return chainToImages(model, images, gradient);
}
