/**
 * What the image methods (feature maps, attributions, Grad-CAM, classification) share to run
 * on an engine: whether to use it at all (only an engine other than TF.js; on TF.js the
 * methods keep their own one-tape paths, so the web app and engine-less callers are
 * unchanged), tensors to and from the engine's plain arrays, preprocessing of [0, 1] images
 * to the model space the engine works in, and the chain rule that carries the engine's
 * gradient with respect to the model input back through preprocessing to the images.
 */
import * as tf from '@tensorflow/tfjs';
import { LOGITS } from '../models/forward.js';
import type { VisModel } from '../models/vis-model.js';
import type { ArrayBatch, NetworkEngine } from './network-engine.js';

/** True when `engine` is given and is not TF.js: the method then runs the network on it. */
export function usesEngine(engine: NetworkEngine | undefined): engine is NetworkEngine {
  return engine !== undefined && engine.name !== 'tfjs';
}

/** A tensor's values as an engine batch. */
export async function toArrayBatch(tensor: tf.Tensor): Promise<ArrayBatch> {
  return { data: (await tensor.data()) as Float32Array, shape: [...tensor.shape] };
}

/** An engine batch as a tensor (the caller disposes it). */
export function fromArrayBatch(batch: ArrayBatch): tf.Tensor {
  return tf.tensor(batch.data, batch.shape);
}

/** Images [n, h, w, c] in [0, 1] preprocessed to model space, as an engine batch. */
export async function modelInputOf(model: VisModel, images: tf.Tensor4D): Promise<ArrayBatch> {
  const input = tf.tidy(() => model.toModelInput(images));
  try {
    return await toArrayBatch(input);
  } finally {
    input.dispose();
  }
}

/**
 * The outputs of `layers` (`LOGITS` for the pre-softmax logits) for images in [0, 1], computed
 * by `engine`, as tensors the caller disposes.
 *
 * @example const { block1_conv1: maps } = await engineActivations(engine, model, images, ['block1_conv1']);
 */
export async function engineActivations(
  engine: NetworkEngine,
  model: VisModel,
  images: tf.Tensor4D,
  layers: string[],
): Promise<Record<string, tf.Tensor>> {
  for (const name of layers) if (name !== LOGITS) model.layer(name);
  const outputs = await engine.activations(await modelInputOf(model, images), layers);
  return Object.fromEntries(layers.map((name) => [name, fromArrayBatch(outputs[name])]));
}

/**
 * d objective / d images from d objective / d model input (what an engine's `vjp` returns):
 * the gradient of sum(toModelInput(images) * gradient) with respect to the images.
 */
export function chainToImages(
  model: VisModel,
  images: tf.Tensor4D,
  gradient: ArrayBatch,
): tf.Tensor4D {
  return tf.tidy(() => {
    const upstream = fromArrayBatch(gradient);
    return tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(model.toModelInput(x as tf.Tensor4D), upstream)),
    )(images) as tf.Tensor4D;
  });
}

/**
 * Class probabilities [batch, classes] of images in [0, 1] (the logits when the model has no
 * softmax), on `engine` when it is not TF.js, else with `model.predict`.
 *
 * @example const p = await classProbabilities(model, images, engine);
 */
export async function classProbabilities(
  model: VisModel,
  images: tf.Tensor4D,
  engine?: NetworkEngine,
): Promise<tf.Tensor2D> {
  if (!usesEngine(engine)) return model.predict(images);
  const { [LOGITS]: logits } = await engineActivations(engine, model, images, [LOGITS]);
  if (!model.hasSoftmax) return logits as tf.Tensor2D;
  const probabilities = tf.softmax(logits) as tf.Tensor2D;
  logits.dispose();
  return probabilities;
}
