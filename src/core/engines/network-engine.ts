/**
 * The engine seam: what a method needs from the network, with plain arrays at the boundary so
 * an engine can be TF.js (any backend, also in the browser) or a native runtime (ONNX Runtime
 * in Node). Everything is in model space (already preprocessed), NHWC, batch first. Two calls:
 * the outputs of a set of layers, and a vector-Jacobian product: given the gradient of an
 * objective with respect to some layers' outputs (the seeds), the gradient with respect to the
 * input (or, for Grad-CAM, to an intermediate layer's output) under a backward rule for the
 * ReLUs. The image-side pipeline (parameterization, transforms, objectives) stays in TF.js and
 * is chained to this gradient at the network boundary.
 */

/** A float32 batch in row-major NHWC ([batch, units] for dense layers). */
export interface ArrayBatch {
  data: Float32Array;
  shape: number[];
}

/**
 * How gradients cross a ReLU (Zeiler & Fergus 2014; Springenberg et al. 2015; Lucid):
 * - gradient: g * [x > 0]
 * - deconvnet: g * [g > 0]
 * - guided: g * [g > 0] * [x > 0]
 * - redirected: g * max([x > 0], [g > 0] * r) with r one flag per image (`redirect`); with
 *   every flag off it equals `gradient`.
 */
export type EngineRule = 'gradient' | 'deconvnet' | 'guided' | 'redirected';
export const ENGINE_RULES: readonly EngineRule[] = [
  'gradient',
  'deconvnet',
  'guided',
  'redirected',
];

export interface VjpRequest {
  /** Model-space input [batch, height, width, channels]. */
  input: ArrayBatch;
  /** d objective / d output of each target layer (`LOGITS` for the pre-softmax logits). */
  seeds: Record<string, ArrayBatch>;
  rule: EngineRule;
  /** One flag per image for the `redirected` rule. */
  redirect?: boolean[];
  /** Differentiate with respect to this layer's output instead of the input. */
  at?: string;
  /** Also return these layers' outputs (computed in the same pass). */
  outputs?: string[];
}

export interface VjpResult {
  /** d objective / d input (or d objective / d `at`), shaped like it. */
  gradient: ArrayBatch;
  /** The layers asked for in `outputs`. */
  outputs: Record<string, ArrayBatch>;
}

export type EngineName = 'tfjs' | 'onnx';

export interface NetworkEngine {
  readonly name: EngineName;
  /** Human-readable details for manifests and logs, e.g. `onnxruntime-node 1.30.0, 2 threads`. */
  readonly description: string;
  /** Outputs of `layers` (and `LOGITS`) for a batch of model-space inputs. */
  activations(input: ArrayBatch, layers: string[]): Promise<Record<string, ArrayBatch>>;
  /** The vector-Jacobian product described by `request`. */
  vjp(request: VjpRequest): Promise<VjpResult>;
  dispose(): void;
}

/** The product of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
