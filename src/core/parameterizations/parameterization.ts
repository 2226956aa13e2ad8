/**
 * Parameterizations: how the optimized variables become a batch of images in [0, 1]. The
 * choice matters as much as the objective: plain pixels drift to high-frequency patterns,
 * while a Fourier basis scaled by 1/f with decorrelated colour (Olah et al. 2017) makes
 * gradient steps favour natural-image statistics. Every kind exposes its variables (what the
 * step rule updates) and `image()`, the differentiable map to RGB or gray in [0, 1].
 */
import type * as tf from '@tensorflow/tfjs';
import type { FourierImageSpec } from '../engines/fused-step.js';

export interface ImageShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

export interface Parameterization {
  readonly kind: string;
  readonly shape: ImageShape;
  /** What the step rule updates. */
  readonly variables: tf.Variable[];
  /**
   * The variable in centred image space (image = clip(pixels + 0.5)), for the post-step image
   * operations of Yosinski et al.; only the linear pixel parameterization has one.
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
