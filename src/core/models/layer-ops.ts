/**
 * The engine-neutral description of a layer: what it computes (its op and parameters) and its
 * weights as plain arrays, with no tf objects. Engines other than TF.js (ONNX Runtime in Node)
 * lower the layer graph from these records; importers other than TF.js layers can produce them.
 * `describeLayer` reads one from a TF.js layer; a layer it cannot describe becomes
 * `{ op: 'unsupported', reason }`, which lets `auto` engine selection fall back to TF.js with a
 * note that names the layer.
 */
import type * as tf from '@tensorflow/tfjs';

/** Element-wise activations, with their parameters. */
export type ActivationOp =
  | { kind: 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'softplus' | 'softsign' }
  | { kind: 'elu'; alpha: number }
  | { kind: 'selu' }
  | { kind: 'leakyRelu'; alpha: number }
  | { kind: 'relu6' }
  /** clip(alpha x + beta, 0, 1): Keras' 0.2, 0.5 unless given (PyTorch's are 1/6, 0.5). */
  | { kind: 'hardSigmoid'; alpha?: number; beta?: number }
  /** x * clip(x / 6 + 1/2, 0, 1) (PyTorch's nn.Hardswish). */
  | { kind: 'hardSwish' }
  | { kind: 'swish' };

type Pair = [number, number];

export type LayerOp =
  | { op: 'input' }
  | {
      op: 'conv';
      /** plain Conv2D, DepthwiseConv2D, or SeparableConv2D (depthwise then 1x1). */
      variant: 'plain' | 'depthwise' | 'separable';
      kernel: Pair;
      strides: Pair;
      dilations: Pair;
      padding: 'same' | 'valid';
      /** Output channels. */
      filters: number;
      depthMultiplier: number;
      /** Groups of a plain convolution (ONNX imports of ResNeXt-style convs); 1 when absent. */
      groups?: number;
      useBias: boolean;
      activation: ActivationOp;
    }
  | { op: 'dense'; units: number; useBias: boolean; activation: ActivationOp }
  | { op: 'pool'; mode: 'max' | 'avg'; size: Pair; strides: Pair; padding: 'same' | 'valid' }
  | { op: 'globalPool'; mode: 'max' | 'avg'; keepDims: boolean }
  | { op: 'batchNorm'; epsilon: number; center: boolean; scale: boolean }
  | { op: 'activation'; activation: ActivationOp }
  | { op: 'add' | 'multiply' }
  | { op: 'concat' }
  | { op: 'flatten' }
  | { op: 'identity' }
  /** Rows/columns added (zero padding) or removed (cropping): [top, bottom, left, right]. */
  | { op: 'zeroPad' | 'crop'; amounts: [number, number, number, number]; value?: number }
  | { op: 'unsupported'; reason: string };

/** A weight tensor as plain data (Keras layout: HWIO kernels, [in, out] dense kernels). */
export interface WeightArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

const pair = (v: unknown, fallback: number): Pair =>
  Array.isArray(v)
    ? [Number(v[0]), Number(v[1] ?? v[0])]
    : v == null
      ? [fallback, fallback]
      : [Number(v), Number(v)];

const ACTIVATIONS: Record<string, ActivationOp> = {
  linear: { kind: 'linear' },
  relu: { kind: 'relu' },
  sigmoid: { kind: 'sigmoid' },
  tanh: { kind: 'tanh' },
  softmax: { kind: 'softmax' },
  softplus: { kind: 'softplus' },
  softsign: { kind: 'softsign' },
  elu: { kind: 'elu', alpha: 1 },
  selu: { kind: 'selu' },
  relu6: { kind: 'relu6' },
  hard_sigmoid: { kind: 'hardSigmoid' },
  hardSigmoid: { kind: 'hardSigmoid' },
  swish: { kind: 'swish' },
};

function activationOf(name: unknown): ActivationOp | string {
  const key = String(name ?? 'linear');
  return ACTIVATIONS[key] ?? `activation '${key}'`;
}

/** 'same'/'valid' padding, or why not. */
function paddingOf(config: Record<string, unknown>): 'same' | 'valid' | string {
  const padding = String(config.padding ?? 'valid');
  return padding === 'same' || padding === 'valid' ? padding : `padding '${padding}'`;
}

function amounts(raw: unknown): [number, number, number, number] {
  // Keras: an int, [rows, cols], or [[top, bottom], [left, right]].
  if (!Array.isArray(raw)) return [Number(raw), Number(raw), Number(raw), Number(raw)];
  const axis = (v: unknown): [number, number] =>
    Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];
  const [top, bottom] = axis(raw[0]);
  const [left, right] = axis(raw[1] ?? raw[0]);
  return [top, bottom, left, right];
}

const unsupported = (reason: string): LayerOp => ({ op: 'unsupported', reason });

const IDENTITY_AT_INFERENCE = new Set([
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

function convOp(kind: string, config: Record<string, unknown>, channels: number): LayerOp {
  const padding = paddingOf(config);
  const activation = activationOf(config.activation);
  if (padding !== 'same' && padding !== 'valid') return unsupported(padding);
  if (typeof activation === 'string') return unsupported(activation);
  const variant = kind === 'Conv2D' ? 'plain' : kind === 'DepthwiseConv2D' ? 'depthwise' : 'separable';
  const depthMultiplier = Number(config.depthMultiplier ?? 1);
  return {
    op: 'conv',
    variant,
    kernel: pair(config.kernelSize, 1),
    strides: pair(config.strides, 1),
    dilations: pair(config.dilationRate, 1),
    padding,
    filters: variant === 'depthwise' ? channels * depthMultiplier : Number(config.filters),
    depthMultiplier,
    useBias: config.useBias !== false,
    activation,
  };
}

function reluLayerOp(config: Record<string, unknown>): LayerOp {
  const maxValue = config.maxValue == null ? null : Number(config.maxValue);
  const slope = Number(config.negativeSlope ?? 0);
  const threshold = Number(config.threshold ?? 0);
  if (threshold !== 0) return unsupported('ReLU with a threshold');
  if (maxValue === null && slope === 0) return { op: 'activation', activation: { kind: 'relu' } };
  if (maxValue === 6 && slope === 0) return { op: 'activation', activation: { kind: 'relu6' } };
  if (maxValue === null) return { op: 'activation', activation: { kind: 'leakyRelu', alpha: slope } };
  return unsupported(`ReLU with max value ${maxValue}`);
}

/**
 * The neutral op of a TF.js layer, from its class name and config. `inputChannels` is the
 * channel count of its (first) input.
 */
export function describeLayer(layer: tf.layers.Layer, inputChannels: number, rank: number): LayerOp {
  const kind = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.dataFormat === 'channelsFirst') return unsupported('channels-first data format');
  switch (kind) {
    case 'InputLayer':
      return { op: 'input' };
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D':
      return convOp(kind, config, inputChannels);
    case 'Dense': {
      const activation = activationOf(config.activation);
      if (typeof activation === 'string') return unsupported(activation);
      return { op: 'dense', units: Number(config.units), useBias: config.useBias !== false, activation };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const padding = paddingOf(config);
      if (padding !== 'same' && padding !== 'valid') return unsupported(padding);
      const size = pair(config.poolSize, 2);
      return {
        op: 'pool',
        mode: kind === 'MaxPooling2D' ? 'max' : 'avg',
        size,
        strides: pair(config.strides ?? size, 1),
        padding,
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return {
        op: 'globalPool',
        mode: kind === 'GlobalMaxPooling2D' ? 'max' : 'avg',
        keepDims: Boolean(config.keepdims ?? config.keepDims ?? false),
      };
    case 'BatchNormalization': {
      const axis = Number(Array.isArray(config.axis) ? config.axis[0] : (config.axis ?? -1));
      if (axis !== -1 && axis !== 3 && axis !== 1) return unsupported(`batch normalization over axis ${axis}`);
      return {
        op: 'batchNorm',
        epsilon: Number(config.epsilon ?? 1e-3),
        center: config.center !== false,
        scale: config.scale !== false,
      };
    }
    case 'Activation': {
      const activation = activationOf(config.activation);
      return typeof activation === 'string' ? unsupported(activation) : { op: 'activation', activation };
    }
    case 'ReLU':
      return reluLayerOp(config);
    case 'LeakyReLU':
      return { op: 'activation', activation: { kind: 'leakyRelu', alpha: Number(config.alpha ?? 0.3) } };
    case 'ELU':
      return { op: 'activation', activation: { kind: 'elu', alpha: Number(config.alpha ?? 1) } };
    case 'Softmax':
      // tfjs' Softmax layer defaults to axis 1, the last axis of a [batch, units] input.
      return [-1, rank - 1].includes(Number(config.axis ?? -1))
        ? { op: 'activation', activation: { kind: 'softmax' } }
        : unsupported('softmax over an axis other than the last');
    case 'Add':
      return { op: 'add' };
    case 'Multiply':
      return { op: 'multiply' };
    case 'Concatenate': {
      const axis = Number(config.axis ?? -1);
      return axis === -1 || axis === rank - 1 ? { op: 'concat' } : unsupported(`concatenation over axis ${axis}`);
    }
    case 'Flatten':
      return { op: 'flatten' };
    case 'ZeroPadding2D':
      return { op: 'zeroPad', amounts: amounts(config.padding) };
    // The layers of ONNX imports (models/onnx/onnx-layers.ts).
    case 'ConstantPadding2D':
      return { op: 'zeroPad', amounts: amounts(config.padding), value: Number(config.value) };
    case 'HardSigmoid':
      return { op: 'activation', activation: { kind: 'hardSigmoid', alpha: Number(config.alpha), beta: Number(config.beta) } };
    case 'HardSwish':
      return { op: 'activation', activation: { kind: 'hardSwish' } };
    case 'GroupedConv2D':
      return { ...(convOp('Conv2D', config, inputChannels) as object), groups: Number(config.groups) } as LayerOp;
    case 'Cropping2D':
      return { op: 'crop', amounts: amounts(config.cropping) };
    default:
      return IDENTITY_AT_INFERENCE.has(kind) ? { op: 'identity' } : unsupported(`${kind} layers`);
  }
}

/** The layer's weights as plain arrays, in the layer's own order (kernel, then bias; ...). */
export function layerWeights(layer: tf.layers.Layer): WeightArray[] {
  return layer.weights.map((w) => {
    const value = w.read();
    return { name: w.originalName ?? w.name, shape: [...value.shape], values: value.dataSync() as Float32Array };
  });
}
