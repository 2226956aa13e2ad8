/**
 * Backward projections of a unit or a class to the input pixels: deconvnet, guided backprop
 * and the plain gradient (saliency) are one backward pass in which only the ReLU rule changes
 * (see relu-rules.ts); SmoothGrad averages gradients over noisy copies of the image (Smilkov et
 * al. 2017); Grad-CAM (grad-cam.ts) weighs a conv layer's maps by their mean gradient. Results
 * are raw values in the input's layout, with their range; attribution-image.ts draws them.
 * With `options.engine` other than TF.js the backward pass is the engine's vector-Jacobian
 * product from the target's seeds, chained through preprocessing to the [0, 1] image in TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { chainToImages, modelInputOf, usesEngine } from '../engines/engine-tensors.js';
import type { NetworkEngine } from '../engines/network-engine.js';
import { ConvscopeError } from '../errors.js';
import { minMax } from '../image/normalize.js';
import type { VisModel } from '../models/vis-model.js';
import {
  resolveTarget,
  targetObjective,
  targetSeeds,
  type AttributionTarget,
  type ResolvedTarget,
} from './attribution-target.js';
import { gradCam } from './grad-cam.js';
import { reluFor, type BackwardRule } from './relu-rules.js';

export const ATTRIBUTION_METHODS = [
  'deconvnet',
  'guided',
  'saliency',
  'smoothgrad',
  'gradcam',
] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

export interface AttributionOptions {
  /** SmoothGrad: noisy copies (default 25). */
  samples?: number;
  /** SmoothGrad: noise standard deviation as a fraction of the [0, 1] input range (default 0.15). */
  noise?: number;
  /** SmoothGrad: the rule whose gradients are averaged (default gradient). */
  smoothRule?: BackwardRule;
  /** SmoothGrad: seed of the noise (default 0). */
  seed?: number;
  /** Grad-CAM: the conv layer whose maps are weighed (default: the last Conv2D feeding the target). */
  camLayer?: string;
  /** Runs the network (when it is not TF.js; default: TF.js on the active backend). */
  engine?: NetworkEngine;
}

export interface Attribution {
  method: AttributionMethod;
  target: ResolvedTarget;
  /** HWC values: the input gradient ([h, w, c]) or, for Grad-CAM, the upsampled map ([h, w, 1]). */
  values: Float32Array;
  shape: [number, number, number];
  min: number;
  max: number;
  /** Grad-CAM: the layer used and its map before upsampling. */
  camLayer?: string;
  cam?: { values: Float32Array; height: number; width: number };
}

/** d objective / d image for one image [1, h, w, c] under a ReLU backward rule. */
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

/**
 * The seed of a chunk's noise: tfjs takes a seed of 0 for "no seed" (Math.random), which made
 * the default seed 0 draw different noise on every run; shifted, every seed counts.
 */
const noiseSeed = (seed = 0, chunk = 0) => seed + chunk + 1 || Number.MAX_SAFE_INTEGER;

/** SmoothGrad: the mean of `rule` gradients over `samples` copies of the image plus Gaussian noise. */
export async function smoothGrad(
  model: VisModel,
  image: tf.Tensor4D,
  target: ResolvedTarget,
  options: AttributionOptions = {},
): Promise<tf.Tensor4D> {
  const samples = Math.max(1, Math.round(options.samples ?? 25));
  const sd = options.noise ?? 0.15;
  const rule = options.smoothRule ?? 'gradient';
  const chunk = 8;
  let total: tf.Tensor4D = tf.zerosLike(image);
  for (let start = 0; start < samples; start += chunk) {
    const n = Math.min(chunk, samples - start);
    const noisy = tf.tidy(() => {
      const batch = tf.tile(image, [n, 1, 1, 1]);
      const noise = tf.randomNormal(batch.shape, 0, 1, 'float32', noiseSeed(options.seed, start));
      return (sd > 0 ? tf.add(batch, tf.mul(noise, sd)) : batch) as tf.Tensor4D;
    });
    const gradient = await targetGradient(model, noisy, target, rule, options.engine).finally(() =>
      noisy.dispose(),
    );
    const next = tf.tidy(() => tf.add(total, tf.sum(gradient, 0, true)) as tf.Tensor4D);
    gradient.dispose();
    total.dispose();
    total = next;
  }
  const mean = tf.div(total, samples) as tf.Tensor4D;
  total.dispose();
  return mean;
}

/**
 * The attribution of `target` for one image [height, width, channels] in [0, 1].
 *
 * @example
 * const a = await attribute(model, image, 'guided', { kind: 'unit', layer: 'block2_conv1', filter: 5 });
 */
export async function attribute(
  model: VisModel,
  image: tf.Tensor3D,
  method: AttributionMethod,
  target: AttributionTarget,
  options: AttributionOptions = {},
): Promise<Attribution> {
  if (!(ATTRIBUTION_METHODS as readonly string[]).includes(method)) {
    throw new ConvscopeError(
      `unknown attribution method '${method}'`,
      `use one of: ${ATTRIBUTION_METHODS.join(', ')}`,
    );
  }
  const images = tf.expandDims(image, 0) as tf.Tensor4D;
  try {
    const { engine } = options;
    const resolved = await resolveTarget(model, images, target, engine);
    if (method === 'gradcam') {
      const cam = await gradCam(model, images, resolved, options.camLayer, engine);
      return { method, target: resolved, ...cam, ...minMax(cam.values) };
    }
    const result =
      method === 'smoothgrad'
        ? await smoothGrad(model, images, resolved, options)
        : await targetGradient(
            model,
            images,
            resolved,
            method === 'saliency' ? 'gradient' : method,
            engine,
          );
    const values = (await result.data()) as Float32Array;
    result.dispose();
    const [, h, w, c] = images.shape;
    return { method, target: resolved, values, shape: [h, w, c], ...minMax(values) };
  } finally {
    images.dispose();
  }
}
