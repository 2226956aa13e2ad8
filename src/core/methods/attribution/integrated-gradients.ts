/**
 * Integrated Gradients (Sundararajan et al. 2017, Axiomatic Attribution for Deep Networks): the
 * gradient averaged along the straight path from a baseline x' to the image x, times x - x':
 *   IG(x) = (x - x') * integral_0^1 grad f(x' + a (x - x')) da
 * By completeness the attributions sum to f(x) - f(x'), up to the quadrature's error. The
 * integral is a Riemann sum over `steps` points: trapezoid (a = 0, 1/(m-1), ..., 1; end points
 * weighted 1/2, Captum's riemann_trapezoid) or midpoint (a = (k + 1/2)/m). Baselines (Sturmfels
 * et al. 2020, Visualizing the Impact of Feature Attribution Baselines): black (zeros), blur (a
 * Gaussian blur of the image, sigma a tenth of its size), noise (uniform in [0, 1], a fixed
 * seed) and mean (the image's mean colour everywhere). f is the target's objective, as for
 * saliency; its gradients come from the engine when it is not TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { blur } from '../../regularizers/yosinski.js';
import type { AttributionRecord } from './method-record.js';
import { targetGradient } from './target-gradient.js';

export const BASELINES = ['black', 'blur', 'noise', 'mean'] as const;
export const INTEGRATIONS = ['trapezoid', 'midpoint'] as const;
const POINTS_PER_PASS = 16;

/** The baseline x' of an image [1, h, w, c] in [0, 1]. */
export function baselineOf(image: tf.Tensor4D, kind: string): tf.Tensor4D {
  return tf.tidy(() => {
    if (kind === 'blur') return blur(image, Math.max(image.shape[1], image.shape[2]) / 10);
    if (kind === 'noise') return tf.randomUniform(image.shape, 0, 1, 'float32', 1) as tf.Tensor4D;
    if (kind === 'mean')
      return tf.mul(tf.onesLike(image), tf.mean(image, [1, 2], true)) as tf.Tensor4D;
    return tf.zerosLike(image);
  });
}

/** The path points a and their weights (summing to 1) of a Riemann rule. */
export function pathPoints(
  steps: number,
  integration: string,
): { alphas: number[]; weights: number[] } {
  if (integration === 'midpoint' || steps < 2) {
    const alphas = Array.from({ length: steps }, (_, k) => (k + 0.5) / steps);
    return { alphas, weights: alphas.map(() => 1 / steps) };
  }
  const alphas = Array.from({ length: steps }, (_, k) => k / (steps - 1));
  const weights = alphas.map((_, k) => (k === 0 || k === steps - 1 ? 0.5 : 1) / (steps - 1));
  return { alphas, weights };
}

export const integratedGradients: AttributionRecord = {
  name: 'integrated-gradients',
  title: 'Integrated Gradients',
  paper: 'Sundararajan et al. 2017, Axiomatic Attribution for Deep Networks',
  display: 'magnitude',
  quantity: '|IG| (max over channels)',
  options: [
    {
      key: 'steps',
      description: 'Integrated Gradients: points on the path',
      default: 50,
      integer: true,
      min: 1,
      placeholder: '<n>',
    },
    {
      key: 'baseline',
      description: 'Integrated Gradients: the path start (black, blur, noise, mean)',
      default: 'black',
      choices: BASELINES,
      placeholder: '<kind>',
    },
    {
      key: 'integration',
      description: 'Integrated Gradients: Riemann rule (trapezoid, midpoint)',
      default: 'trapezoid',
      choices: INTEGRATIONS,
      placeholder: '<rule>',
    },
  ],
  interactive: true,
  run: async ({ model, images, target, engine, options }) => {
    const { alphas, weights } = pathPoints(options.steps as number, options.integration as string);
    const results: tf.Tensor4D[] = [];
    for (let i = 0; i < images.shape[0]; i++) {
      const image = tf.slice(images, i, 1);
      const baseline = baselineOf(image, options.baseline as string);
      const delta = tf.sub(image, baseline) as tf.Tensor4D;
      let total = tf.zerosLike(image);
      for (let start = 0; start < alphas.length; start += POINTS_PER_PASS) {
        const a = alphas.slice(start, start + POINTS_PER_PASS);
        const shape = [a.length, 1, 1, 1];
        const points = tf.tidy(
          () => tf.add(baseline, tf.mul(tf.tensor(a, shape), delta)) as tf.Tensor4D,
        );
        const gradient = await targetGradient(model, points, target, 'gradient', engine);
        const w = tf.tensor(weights.slice(start, start + a.length), shape);
        const next = tf.tidy(
          () => tf.add(total, tf.sum(tf.mul(gradient, w), 0, true)) as tf.Tensor4D,
        );
        tf.dispose([points, gradient, w, total]);
        total = next;
      }
      results.push(tf.mul(total, delta) as tf.Tensor4D);
      tf.dispose([image, baseline, delta, total]);
    }
    const values = tf.concat(results) as tf.Tensor4D;
    tf.dispose(results);
    return { values };
  },
};
