/**
 * The layer graph of a TF.js LayersModel: every layer in execution order with its kind, output
 * shape, channel count, inbound layers and receptive field. Sequential and functional models
 * are read the same way, by walking `inboundNodes` back from the model's outputs.
 */
import type * as tf from '@tensorflow/tfjs';
import { describeLayer, type LayerOp } from './layer-ops.js';
import {
  INPUT_FIELD,
  applyWindow,
  padBefore,
  unionFields,
  type ReceptiveField,
} from './receptive-field.js';

/** One layer of the graph. */
export interface LayerNode {
  name: string;
  /** Keras class name: Conv2D, MaxPooling2D, Dense, Activation, ... */
  kind: string;
  /** Output shape without the batch dimension (null where unknown). */
  outputShape: (number | null)[];
  /** Channels (last axis) of the output. */
  channels: number | null;
  /** True when the output is a spatial map (rank 3 without batch). */
  spatial: boolean;
  /** Names of the layers that feed this one. */
  inputs: string[];
  /** Null where a unit sees the whole input (dense, flatten, global pooling) or unknown. */
  receptiveField: ReceptiveField | null;
  /** Why `receptiveField` is null. */
  receptiveFieldNote?: string;
  /** What a reader should know about the layer (e.g. "batch norm folded in by the exporter"). */
  note?: string;
  /** What the layer computes, without tf objects (engines other than TF.js lower from it). */
  op: LayerOp;
  /** The tfjs layer itself (the TF.js engine runs it; weights are read from it). */
  layer: tf.layers.Layer;
}

// Layers that keep the spatial geometry of their (first) input.
const POINTWISE = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax',
  'BatchNormalization', 'LayerNormalization', 'Dropout', 'SpatialDropout2D', 'GaussianNoise',
  'GaussianDropout', 'AlphaDropout', 'Add', 'Multiply', 'Average', 'Maximum', 'Minimum',
  'Concatenate', 'Subtract', 'InputLayer', 'Rescaling', 'Normalization', 'HardSigmoid', 'HardSwish',
]);

const WHOLE_INPUT = new Set([
  'Flatten', 'Dense', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Reshape', 'Permute',
]);

const WINDOWED = new Set([
  'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'MaxPooling2D', 'AveragePooling2D', 'GroupedConv2D',
]);

type Pair = [number, number];
const pair = (v: unknown, fallback: number): Pair =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : v == null ? [fallback, fallback] : [Number(v), Number(v)];

function shapeOf(layer: tf.layers.Layer): (number | null)[] {
  const shape = layer.outputShape as (number | null)[] | (number | null)[][];
  const first = Array.isArray(shape[0]) ? (shape[0] as (number | null)[]) : (shape as (number | null)[]);
  return first.slice(1);
}

function inputShapeOf(layer: tf.layers.Layer): (number | null)[] {
  const shape = layer.inputSpec?.[0]?.shape ?? (layer.inboundNodes[0]?.inputShapes as (number | null)[] | undefined);
  const s = (Array.isArray(shape?.[0]) ? shape?.[0] : shape) as (number | null)[] | undefined;
  return s ? s.slice(1) : [];
}

function windowedField(layer: tf.layers.Layer, kind: string, field: ReceptiveField): ReceptiveField | string {
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.dataFormat === 'channelsFirst') return 'channels-first layers are not supported';
  const pooling = kind.endsWith('Pooling2D');
  const kernel = pair(pooling ? config.poolSize : config.kernelSize, 2);
  const stride = pair(config.strides ?? (pooling ? kernel : 1), 1);
  const dilation = pair(pooling ? 1 : config.dilationRate, 1);
  const padding = (config.padding as 'same' | 'valid') ?? 'valid';
  const inShape = inputShapeOf(layer);
  const window = (axis: 0 | 1) => ({
    kernel: kernel[axis],
    stride: stride[axis],
    dilation: dilation[axis],
    padBefore: padBefore(padding, inShape[axis] ?? null, kernel[axis], stride[axis], dilation[axis]),
  });
  return {
    vertical: applyWindow(field.vertical, window(0)),
    horizontal: applyWindow(field.horizontal, window(1)),
  };
}

function paddingField(layer: tf.layers.Layer, kind: string, field: ReceptiveField): ReceptiveField {
  const config = layer.getConfig() as Record<string, unknown>;
  const raw = kind === 'Cropping2D' ? config.cropping : config.padding;
  const sign = kind === 'Cropping2D' ? 1 : -1;
  const [top, left] = Array.isArray(raw)
    ? [Array.isArray(raw[0]) ? raw[0][0] : raw[0], Array.isArray(raw[1]) ? raw[1][0] : raw[1]]
    : [raw, raw];
  const shift = (a: ReceptiveField['vertical'], amount: number) => ({ ...a, start: a.start + sign * amount * a.jump });
  return { vertical: shift(field.vertical, Number(top)), horizontal: shift(field.horizontal, Number(left)) };
}

function fieldFor(
  layer: tf.layers.Layer,
  kind: string,
  inputs: LayerNode[],
): { field: ReceptiveField | null; note?: string } {
  if (inputs.length === 0) return { field: INPUT_FIELD };
  const known = inputs.map((n) => n.receptiveField);
  if (WHOLE_INPUT.has(kind)) return { field: null, note: 'whole input' };
  if (known.some((f) => f === null)) return { field: null, note: inputs[0].receptiveFieldNote ?? 'whole input' };
  const fields = known as ReceptiveField[];
  // A 1x1 map broadcast over a larger one (squeeze-and-excitation gates) feeds every unit the
  // same value, which sees the whole input.
  const isPoint = (n: LayerNode) => n.outputShape.length === 3 && n.outputShape[0] === 1 && n.outputShape[1] === 1;
  if (inputs.length > 1 && inputs.some(isPoint) && !inputs.every(isPoint)) {
    return { field: null, note: 'whole input (a 1x1 map broadcast over the others)' };
  }
  if (POINTWISE.has(kind)) return { field: fields.length === 1 ? fields[0] : unionFields(fields) };
  if (WINDOWED.has(kind)) {
    const result = windowedField(layer, kind, fields[0]);
    return typeof result === 'string' ? { field: null, note: result } : { field: result };
  }
  if (kind === 'ZeroPadding2D' || kind === 'ConstantPadding2D' || kind === 'Cropping2D') return { field: paddingField(layer, kind, fields[0]) };
  return { field: null, note: `not computed for ${kind} layers` };
}

/** The layers of a model in execution order, starting with its input layer(s). */
export function buildLayerGraph(model: tf.LayersModel): LayerNode[] {
  const order: tf.layers.Layer[] = [];
  const seen = new Set<tf.layers.Layer>();
  const visit = (layer: tf.layers.Layer) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    for (const inbound of layer.inboundNodes[0]?.inboundLayers ?? []) visit(inbound);
    order.push(layer);
  };
  // `outputs[i].sourceLayer` works for functional and (even unbuilt) Sequential models alike.
  for (const output of model.outputs) visit(output.sourceLayer as tf.layers.Layer);

  const byName = new Map<string, LayerNode>();
  for (const layer of order) {
    const kind = layer.getClassName();
    const inputs = (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) => byName.get(l.name)!);
    const outputShape = shapeOf(layer);
    const { field, note } = fieldFor(layer, kind, inputs);
    const spatial = outputShape.length === 3;
    byName.set(layer.name, {
      name: layer.name,
      kind,
      outputShape,
      channels: outputShape.length > 0 ? (outputShape[outputShape.length - 1] ?? null) : null,
      spatial,
      inputs: inputs.map((n) => n.name),
      op: describeLayer(
        layer,
        inputs[0]?.channels ?? outputShape[outputShape.length - 1] ?? 0,
        outputShape.length + 1,
      ),
      receptiveField: spatial ? field : null,
      receptiveFieldNote: spatial ? note : (note ?? 'whole input'),
      layer,
    });
  }
  return [...byName.values()];
}
