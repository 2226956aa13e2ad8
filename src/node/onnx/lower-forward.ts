/**
 * Forward lowering of one neutral layer (core/models/layer-ops.ts) to ONNX nodes, NCHW inside.
 * Each lowered layer keeps what its backward pass needs: the pre-activation value, the input
 * values, max-pool argmax indices, padding amounts, and its weights in ONNX layout. Keras
 * layouts are converted once here (HWIO kernels to OIHW, depthwise kernels to grouped OIHW;
 * Flatten runs over NHWC order, as Keras' does).
 */
import type { ActivationOp, LayerOp, WeightArray } from '../../core/models/layer-ops.js';
import type { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** A layer lowered to ONNX values. */
export interface LoweredLayer {
  /** Output value: [N, C, H, W] for spatial layers, [N, units] otherwise. */
  out: string;
  /** Value before the activation, where the layer has one. */
  pre?: string;
  /** Input values. */
  inputs: string[];
  /** Output shape without batch, NCHW order ([C, H, W] or [units]). */
  shape: number[];
  /** Input shapes without batch, NCHW order. */
  inputShapes: number[][];
  /** Max pooling: the flattened argmax indices (only when gradients are needed). */
  indices?: string;
  /** Windowed layers: pads [top, left, bottom, right]. */
  pads?: [number, number, number, number];
  /** Separable convolutions: the depthwise output. */
  mid?: string;
  /** ONNX-layout weights, kept for the backward pass. */
  onnxWeights?: Record<string, { values: Float32Array; dims: number[] }>;
}

/** NHWC shape without batch to NCHW order. */
export const toNchwShape = (shape: number[]): number[] =>
  shape.length === 3 ? [shape[2], shape[0], shape[1]] : shape;

/** TF "same" / "valid" padding along one axis: [before, after]. */
export function axisPads(
  padding: 'same' | 'valid',
  inSize: number,
  outSize: number,
  kernel: number,
  stride: number,
  dilation: number,
): [number, number] {
  if (padding === 'valid') return [0, 0];
  const total = Math.max((outSize - 1) * stride + dilation * (kernel - 1) + 1 - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** HWIO [kh, kw, in, out] to OIHW [out, in, kh, kw]. */
export function hwioToOihw(w: WeightArray): { values: Float32Array; dims: number[] } {
  const [kh, kw, ci, co] = w.shape;
  const out = new Float32Array(w.values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < ci; c++)
        for (let o = 0; o < co; o++)
          out[((o * ci + c) * kh + i) * kw + j] = w.values[((i * kw + j) * ci + c) * co + o];
  return { values: out, dims: [co, ci, kh, kw] };
}

/** Depthwise [kh, kw, C, M] to grouped OIHW [C*M, 1, kh, kw] (output channel c*M + m, as TF). */
export function depthwiseToOihw(w: WeightArray): { values: Float32Array; dims: number[] } {
  const [kh, kw, c, m] = w.shape;
  const out = new Float32Array(w.values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let ch = 0; ch < c; ch++)
        for (let k = 0; k < m; k++)
          out[((ch * m + k) * kh + i) * kw + j] = w.values[((i * kw + j) * c + ch) * m + k];
  return { values: out, dims: [c * m, 1, kh, kw] };
}

/** SELU's constants (Klambauer et al. 2017), as tfjs uses them. */
export const SELU = { alpha: 1.6732632423543772, scale: 1.0507009873554805 };

/** The activation's forward nodes. */
export function lowerActivation(b: OnnxGraphBuilder, activation: ActivationOp, z: string): string {
  switch (activation.kind) {
    case 'linear':
      return z;
    case 'relu':
      return b.op('Relu', [z]);
    case 'sigmoid':
      return b.op('Sigmoid', [z]);
    case 'tanh':
      return b.op('Tanh', [z]);
    case 'softmax':
      return b.op('Softmax', [z], { axis: 1 });
    case 'softplus':
      return b.op('Softplus', [z]);
    case 'softsign':
      return b.op('Softsign', [z]);
    case 'elu':
      return b.op('Elu', [z], { alpha: { float: activation.alpha } });
    case 'selu':
      return b.op('Selu', [z], { alpha: { float: SELU.alpha }, gamma: { float: SELU.scale } });
    case 'leakyRelu':
      return b.op('LeakyRelu', [z], { alpha: { float: activation.alpha } });
    case 'relu6':
      return b.op('Clip', [z, b.scalar(0), b.scalar(6)]);
    case 'hardSigmoid':
      return b.op('HardSigmoid', [z], {
        alpha: { float: activation.alpha ?? 0.2 },
        beta: { float: activation.beta ?? 0.5 },
      });
    case 'hardSwish':
      return b.op('Mul', [
        z,
        b.op('HardSigmoid', [z], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }),
      ]);
    case 'swish':
      return b.op('Mul', [z, b.op('Sigmoid', [z])]);
  }
  throw new Error(`unhandled activation ${(activation as ActivationOp).kind}`);
}

interface ForwardContext {
  b: OnnxGraphBuilder;
  op: LayerOp;
  inputs: string[];
  inputShapes: number[][];
  /** Output shape, NCHW without batch. */
  shape: number[];
  weights: () => WeightArray[];
  /** Keep what a backward pass needs (max-pool indices). */
  withGradients: boolean;
}

function weightNamed(weights: WeightArray[], suffix: string): WeightArray | undefined {
  return weights.find((w) => w.name.endsWith(suffix) || w.name.endsWith(`${suffix}:0`));
}

function lowerConv(ctx: ForwardContext, op: Extract<LayerOp, { op: 'conv' }>): LoweredLayer {
  const { b, inputs, inputShapes, shape } = ctx;
  const [, inH, inW] = inputShapes[0];
  const [, outH, outW] = shape;
  const [pt, pb] = axisPads(op.padding, inH, outH, op.kernel[0], op.strides[0], op.dilations[0]);
  const [pl, pr] = axisPads(op.padding, inW, outW, op.kernel[1], op.strides[1], op.dilations[1]);
  const pads: [number, number, number, number] = [pt, pl, pb, pr];
  const weights = ctx.weights();
  const attrs = { strides: op.strides, dilations: op.dilations, pads };
  const onnxWeights: Record<string, { values: Float32Array; dims: number[] }> = {};
  let x = inputs[0];
  let main: { values: Float32Array; dims: number[] };
  let group = 1;
  if (op.variant === 'plain') {
    // A grouped kernel [kh, kw, C/g, F] converts as a plain one to grouped OIHW [F, C/g, kh, kw].
    main = hwioToOihw(weights[0]);
    group = op.groups ?? 1;
  } else {
    main = depthwiseToOihw(weights[0]);
    group = inputShapes[0][0];
  }
  onnxWeights.main = main;
  const bias = op.useBias ? weights[weights.length - 1] : undefined;
  const mainName = b.floats('W', main.values, main.dims);
  if (op.variant === 'separable') {
    x = b.op('Conv', [x, mainName], { ...attrs, group });
    const pointwise = hwioToOihw(weights[1]);
    onnxWeights.pointwise = pointwise;
    const pw = b.floats('Wp', pointwise.values, pointwise.dims);
    const biasName = bias ? [b.floats('B', bias.values, [bias.values.length])] : [];
    const z = b.op('Conv', [x, pw, ...biasName]);
    return {
      out: lowerActivation(b, op.activation, z),
      pre: z,
      inputs,
      shape,
      inputShapes,
      pads,
      onnxWeights,
      mid: x,
    };
  }
  const biasName = bias ? [b.floats('B', bias.values, [bias.values.length])] : [];
  const z = b.op('Conv', [x, mainName, ...biasName], { ...attrs, group });
  return {
    out: lowerActivation(b, op.activation, z),
    pre: z,
    inputs,
    shape,
    inputShapes,
    pads,
    onnxWeights,
  };
}

function lowerPool(ctx: ForwardContext, op: Extract<LayerOp, { op: 'pool' }>): LoweredLayer {
  const { b, inputs, inputShapes, shape } = ctx;
  const [, inH, inW] = inputShapes[0];
  const [, outH, outW] = shape;
  const [pt, pb] = axisPads(op.padding, inH, outH, op.size[0], op.strides[0], 1);
  const [pl, pr] = axisPads(op.padding, inW, outW, op.size[1], op.strides[1], 1);
  const pads: [number, number, number, number] = [pt, pl, pb, pr];
  const attrs = { kernel_shape: op.size, strides: op.strides, pads };
  const base = { inputs, shape, inputShapes, pads };
  if (op.mode === 'avg') {
    return { ...base, out: b.op('AveragePool', inputs, { ...attrs, count_include_pad: 0 }) };
  }
  if (!ctx.withGradients) return { ...base, out: b.op('MaxPool', inputs, attrs) };
  const [out, indices] = b.node('MaxPool', inputs, attrs, 2);
  return { ...base, out, indices };
}

function lowerBatchNorm(
  ctx: ForwardContext,
  op: Extract<LayerOp, { op: 'batchNorm' }>,
): LoweredLayer {
  const { b, inputs, inputShapes, shape } = ctx;
  const weights = ctx.weights();
  const channels = shape[0];
  const ones = new Float32Array(channels).fill(1);
  const gamma = op.scale ? weightNamed(weights, 'gamma')!.values : ones;
  const beta = op.center ? weightNamed(weights, 'beta')!.values : new Float32Array(channels);
  const mean = weightNamed(weights, 'moving_mean')!.values;
  const variance = weightNamed(weights, 'moving_variance')!.values;
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + op.epsilon));
  const shift = beta.map((v, c) => v - mean[c] * scale[c]);
  const dims = shape.length === 3 ? [channels, 1, 1] : [channels];
  const out = b.op('Add', [
    b.op('Mul', [inputs[0], b.floats('bn_scale', scale, dims)]),
    b.floats('bn_shift', shift, dims),
  ]);
  return { out, inputs, shape, inputShapes, onnxWeights: { scale: { values: scale, dims } } };
}

/** Lowers one layer's forward pass. */
export function lowerForward(ctx: ForwardContext): LoweredLayer {
  const { b, op, inputs, inputShapes, shape } = ctx;
  const base = { inputs, shape, inputShapes };
  const x = inputs[0];
  switch (op.op) {
    case 'conv':
      return lowerConv(ctx, op);
    case 'dense': {
      const [kernel, bias] = ctx.weights();
      const z = b.op('Gemm', [
        x,
        b.floats('W', kernel.values, kernel.shape),
        ...(op.useBias && bias ? [b.floats('B', bias.values, bias.shape)] : []),
      ]);
      return {
        ...base,
        out: lowerActivation(b, op.activation, z),
        pre: z,
        onnxWeights: { kernel: { values: kernel.values, dims: kernel.shape } },
      };
    }
    case 'pool':
      return lowerPool(ctx, op);
    case 'globalPool': {
      const [, h, w] = inputShapes[0];
      let pooled: string;
      let indices: string | undefined;
      if (op.mode === 'avg') pooled = b.op('GlobalAveragePool', [x]);
      else if (ctx.withGradients)
        [pooled, indices] = b.node('MaxPool', [x], { kernel_shape: [h, w] }, 2);
      else pooled = b.op('GlobalMaxPool', [x]);
      return {
        ...base,
        out: op.keepDims ? pooled : b.op('Flatten', [pooled], { axis: 1 }),
        indices,
      };
    }
    case 'batchNorm':
      return lowerBatchNorm(ctx, op);
    case 'activation':
      return { ...base, out: lowerActivation(b, op.activation, x), pre: x };
    case 'add':
      return { ...base, out: inputs.length === 1 ? x : b.op('Sum', inputs) };
    case 'multiply':
      return { ...base, out: inputs.slice(1).reduce((acc, v) => b.op('Mul', [acc, v]), x) };
    case 'concat':
      return { ...base, out: b.op('Concat', inputs, { axis: 1 }) };
    case 'flatten':
      if (inputShapes[0].length !== 3) return { ...base, out: x };
      return {
        ...base,
        out: b.op('Reshape', [b.op('Transpose', [x], { perm: [0, 2, 3, 1] }), b.ints([0, -1])]),
      };
    case 'identity':
    case 'input':
      return { ...base, out: x };
    case 'zeroPad': {
      const [t, bottom, l, r] = op.amounts;
      const pads = b.ints([0, 0, t, l, 0, 0, bottom, r]);
      return { ...base, out: b.op('Pad', op.value ? [x, pads, b.scalar(op.value)] : [x, pads]) };
    }
    case 'crop': {
      const [t, bottom, l, r] = op.amounts;
      const [, h, w] = inputShapes[0];
      return {
        ...base,
        out: b.op('Slice', [x, b.ints([t, l]), b.ints([h - bottom, w - r]), b.ints([2, 3])]),
      };
    }
    case 'unsupported':
      throw new Error(op.reason);
  }
}
