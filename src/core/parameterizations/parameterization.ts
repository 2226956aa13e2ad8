/**
 * Parameterizations: how the optimized variables become a batch of images in [0, 1]. The
 * choice matters as much as the objective: plain pixels drift to high-frequency patterns,
 * while a Fourier basis scaled by 1/f with decorrelated colour (Olah et al. 2017) makes
 * gradient steps favour natural-image statistics.
 *
 * As in Lucid, a parameterization is two stages (compose-image.ts): a **spatial basis** (the
 * variables and the map from them to an unbounded image: pixels, a 1/f-scaled spectrum, MACO's
 * phase) and a **colour stage** (colour-stage.ts: optional decorrelated colour, then a sigmoid
 * or a clip to [0, 1]). Each kind is a record (parameterization-record.ts) in one file.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FourierImageSpec } from '../engines/fused-step.js';

export interface ImageShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/** The first stage: variables and the unbounded image they make, before colour. */
export interface SpatialBasis {
  readonly kind: string;
  /** What the step rule updates. */
  readonly variables: tf.Variable[];
  /** [batch, height, width, channels], unbounded; differentiable in the variables. */
  spatial(): tf.Tensor4D;
  /**
   * Set when the basis is its variable (pixels): the colour stage can then start it from an
   * image (`init`), keep it in range, and Yosinski's operations can act on it.
   */
  readonly identity?: tf.Variable;
  /** A 1/f spectrum's variables and per-frequency scale, for engines that run the image side. */
  readonly fourier?: { real: tf.Variable; imaginary: tf.Variable; scale: Float32Array };
  dispose(): void;
}

export interface Parameterization {
  readonly kind: string;
  readonly shape: ImageShape;
  /** What the step rule updates. */
  readonly variables: tf.Variable[];
  /** True when it was built from the run's starting image itself (else the loop fits it). */
  readonly takesInit?: boolean;
  /**
   * The variable in centred image space (image = clip(pixels + center)), for the post-step
   * image operations of Yosinski et al.; only the linear pixel parameterization has one.
   */
  readonly pixels?: tf.Variable;
  /** A Fourier image's variables and constants, for engines that run the image side. */
  readonly fourier?: {
    real: tf.Variable;
    imaginary: tf.Variable;
    spec(): Promise<FourierImageSpec>;
  };
  /** The images, [batch, height, width, channels] in [0, 1]; differentiable. */
  image(): tf.Tensor4D;
  /**
   * |d objective / d image| summed over the steps so far, [batch, height, width, channels]
   * (MACO's transparency map); a new tensor the caller disposes.
   */
  transparency?(): tf.Tensor4D;
  /** Keeps variables in their valid range after a step (e.g. clipped pixels). */
  project?(): void;
  dispose(): void;
}
