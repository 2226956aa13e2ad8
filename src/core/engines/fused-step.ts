/**
 * The fused step: a whole activation-maximization step of Lucid's pipeline in one engine call,
 * for engines that can run the image side natively (ONNX Runtime in Node). The image is a
 * Fourier-parameterized picture (spectrum -> inverse DFT -> colour -> sigmoid), the view is a
 * chain of sparse resamplings (the step's transforms and the resize to the model input,
 * `viewMaps`), preprocessing is an affine map of the channels; the engine returns the gradient
 * of the objective with respect to the spectrum and the seeded layers' outputs. Everything is
 * data, so the TF.js path and the engine compute the same function.
 */
import type { SparseMap } from '../transforms/sparse-map.js';
import type { ArrayBatch, EngineRule } from './network-engine.js';

/** The constants of a Fourier image (see `fourierImage`). */
export interface FourierImageSpec {
  batch: number;
  height: number;
  width: number;
  channels: number;
  /** Per-frequency scale of the half spectrum, [height, width / 2 + 1]. */
  scale: Float32Array;
  /** Colour map, rows = output channels: rgb_i = sum_j colour[i][j] * decorrelated_j. */
  colour: number[][];
  /** Pre-sigmoid offset, channel-major [channels, height * width]. */
  offset: Float32Array;
}

export interface FusedStepRequest {
  image: FourierImageSpec;
  /** The spectrum's real and imaginary parts, [batch * channels, height, width / 2 + 1]. */
  real: ArrayBatch;
  imaginary: ArrayBatch;
  /** The view, first map first; the last ends at the model input size. */
  view: SparseMap[];
  /** Model input = matrix · pixel + bias per pixel (rows: model channels). */
  preprocess: { matrix: number[][]; bias: number[] };
  /** d objective / d output of each target layer, constant over the run (linear objectives). */
  seeds: Record<string, ArrayBatch>;
  rule: Extract<EngineRule, 'gradient' | 'redirected'>;
  redirect?: boolean[];
  /** Layers whose outputs come back (to score the step). */
  outputs: string[];
}

export interface FusedStepResult {
  /** d objective / d spectrum, shaped like `real` and `imaginary`. */
  real: ArrayBatch;
  imaginary: ArrayBatch;
  outputs: Record<string, ArrayBatch>;
}

/** An engine that can run a fused step; `null` from it means "not now, use the plain path". */
export interface FusedStepEngine {
  fusedStep(request: FusedStepRequest): Promise<FusedStepResult | null>;
}

export const canFuse = (engine: unknown): engine is FusedStepEngine =>
  typeof (engine as Partial<FusedStepEngine> | null)?.fusedStep === 'function';
