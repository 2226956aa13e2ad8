/**
 * One ONNX node -> TF.js layers. ONNX is NCHW with OIHW kernels; the layers are NHWC with HWIO
 * kernels, so weights are transposed once here. Explicit pads that TF's 'same' does not produce
 * (PyTorch pads stride-2 convs symmetrically, TF puts the extra row at the end) become a
 * padding layer before a 'valid' op, named `<layer>.pad`. A Flatten of a map keeps TF's HWC
 * order and the Gemm after it takes its weight rows in that order.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../../errors.js';
import { ConstantPadding2D, GroupedConv2D, HardSigmoid, HardSwish, MAX_POOL_PAD } from './onnx-layers.js';
import type { Constant, NodeProto } from './onnx-read.js';

/** A tensor flowing through the converted graph. */
export interface TensorValue {
  sym: tf.SymbolicTensor;
  /** Set on a flattened map: the [h, w, c] it came from (its features are in HWC order). */
  flatFrom?: [number, number, number];
  /** Known to be >= 0 (after a ReLU, a sigmoid, ...): zero padding equals -inf padding for max. */
  nonNegative?: boolean;
}

export interface OpContext {
  node: NodeProto;
  /** The layer name for this node's output. */
  name: string;
  attrs: Map<string, unknown>;
  /** The i-th input as a tensor (an error when it is a constant or missing). */
  tensor(i: number): TensorValue;
  /** The i-th input as a constant, undefined when absent or not constant. */
  constant(i: number): Constant | undefined;
  /** The name of the i-th input (the initializer name for weights). */
  inputName(i: number): string;
  /**
   * An initializer that hands the layer these values as its weight (the variable takes the
   * tensor itself: no zero fill and no second copy of VGG16's 528 MB).
   */
  fixed(values: Float32Array, shape: number[]): ReturnType<typeof tf.initializers.zeros>;
}

type Pair = [number, number];

export const unsupportedOp = (what: string, node: NodeProto) =>
  new ConvscopeError(
    `unsupported ONNX ${what} (node '${node.name || node.opType}')`,
    'convscope reads CNNs: Conv, Gemm/MatMul, pooling, batch norm, element-wise activations, Add/Mul/Concat, Flatten/Reshape, Pad, Softmax; see the README "PyTorch models"',
  );

const floats = (c: Constant) => (c.data instanceof Float32Array ? c.data : Float32Array.from(c.data));
const spatial = (v: TensorValue): Pair => [v.sym.shape[1] as number, v.sym.shape[2] as number];

/** TF's 'same' padding (before, after) for one axis, as tfjs computes it. */
function samePads(size: number, kernel: number, stride: number, dilation: number): Pair {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** ONNX pads [top, left, bottom, right] (from `pads` or `auto_pad`) for a window op. */
function windowPads(ctx: OpContext, x: TensorValue, kernel: Pair, strides: Pair, dilations: Pair): [Pair, Pair] {
  const auto = String(ctx.attrs.get('auto_pad') ?? 'NOTSET');
  const [h, w] = spatial(x);
  if (auto === 'SAME_UPPER') return [samePads(h, kernel[0], strides[0], dilations[0]), samePads(w, kernel[1], strides[1], dilations[1])];
  if (auto === 'SAME_LOWER') {
    const flip = ([a, b]: Pair): Pair => [b, a];
    return [flip(samePads(h, kernel[0], strides[0], dilations[0])), flip(samePads(w, kernel[1], strides[1], dilations[1]))];
  }
  const pads = (ctx.attrs.get('pads') as number[] | undefined) ?? [0, 0, 0, 0];
  return [[pads[0], pads[2]], [pads[1], pads[3]]];
}

/**
 * 'valid' or 'same' when the pads are exactly what that mode does; otherwise pads `x` with a
 * layer first and returns 'valid' with the padded input.
 */
function padFor(
  ctx: OpContext,
  x: TensorValue,
  pads: [Pair, Pair],
  window: { kernel: Pair; strides: Pair; dilations: Pair },
  value = 0,
): { input: TensorValue; padding: 'same' | 'valid' } {
  const [h, w] = spatial(x);
  if (pads.flat().every((p) => p === 0)) return { input: x, padding: 'valid' };
  const same = [samePads(h, window.kernel[0], window.strides[0], window.dilations[0]), samePads(w, window.kernel[1], window.strides[1], window.dilations[1])];
  // TF's 'same' pads a convolution with zeros and a max pool with -inf, as PyTorch does; only
  // at stride 1 are its pads the same at every input size.
  const sizeFree = window.strides.every((s) => s === 1);
  if (sizeFree && same.flat().every((p, i) => p === pads.flat()[i])) return { input: x, padding: 'same' };
  const name = `${ctx.name}.pad`;
  const layer =
    value === 0 || (value === MAX_POOL_PAD && x.nonNegative)
      ? tf.layers.zeroPadding2d({ padding: pads, name })
      : new ConstantPadding2D({ padding: pads, value, name });
  return { input: { sym: layer.apply(x.sym) as tf.SymbolicTensor, nonNegative: x.nonNegative }, padding: 'valid' };
}

const pairAttr = (ctx: OpContext, key: string, fallback: Pair): Pair => {
  const v = ctx.attrs.get(key) as number[] | undefined;
  return v ? [v[0], v[1] ?? v[0]] : fallback;
};

function conv(ctx: OpContext): TensorValue {
  const x = ctx.tensor(0);
  const weight = ctx.constant(1);
  if (!weight || weight.dims.length !== 4) throw unsupportedOp('Conv without a constant 2-D kernel', ctx.node);
  const [outC, inPerGroup, kh, kw] = weight.dims;
  const inC = x.sym.shape[3] as number;
  const group = Number(ctx.attrs.get('group') ?? 1);
  const strides = pairAttr(ctx, 'strides', [1, 1]);
  const dilations = pairAttr(ctx, 'dilations', [1, 1]);
  const kernel: Pair = [kh, kw];
  const { input, padding } = padFor(ctx, x, windowPads(ctx, x, kernel, strides, dilations), { kernel, strides, dilations });
  const bias = ctx.constant(2);
  const w = floats(weight);
  const common = { strides, dilationRate: dilations, padding, useBias: Boolean(bias), name: ctx.name, kernelSize: kernel };
  const biasInitializer = bias ? ctx.fixed(floats(bias), [outC]) : undefined;
  // OIHW [F, C/g, kh, kw] to HWIO [kh, kw, C/g, F]. The same bytes are TF's depthwise layout
  // [kh, kw, C, M] when each group is one channel (output channel c*M + j, as ONNX).
  const kernelValues = new Float32Array(w.length);
  for (let o = 0; o < outC; o++)
    for (let i = 0; i < inPerGroup; i++)
      for (let y = 0; y < kh; y++)
        for (let z = 0; z < kw; z++) kernelValues[((y * kw + z) * inPerGroup + i) * outC + o] = w[((o * inPerGroup + i) * kh + y) * kw + z];
  let layer: tf.layers.Layer;
  if (group === 1) {
    const kernelInitializer = ctx.fixed(kernelValues, [kh, kw, inPerGroup, outC]);
    layer = tf.layers.conv2d({ ...common, filters: outC, kernelInitializer, biasInitializer });
  } else if (group === inC && inPerGroup === 1 && outC % inC === 0) {
    const m = outC / inC;
    const depthwiseInitializer = ctx.fixed(kernelValues, [kh, kw, inC, m]);
    layer = tf.layers.depthwiseConv2d({ ...common, depthMultiplier: m, depthwiseInitializer, biasInitializer });
  } else {
    if (inC !== group * inPerGroup || outC % group !== 0) throw unsupportedOp(`Conv with ${group} groups over ${inC} channels`, ctx.node);
    const kernelInitializer = ctx.fixed(kernelValues, [kh, kw, inPerGroup, outC]);
    layer = new GroupedConv2D({ ...common, filters: outC, groups: group, kernelInitializer, biasInitializer });
  }
  return { sym: layer.apply(input.sym) as tf.SymbolicTensor };
}

function pool(ctx: OpContext, mode: 'max' | 'avg'): TensorValue {
  const x = ctx.tensor(0);
  const kernel = pairAttr(ctx, 'kernel_shape', [1, 1]);
  const strides = pairAttr(ctx, 'strides', [1, 1]);
  const dilations = pairAttr(ctx, 'dilations', [1, 1]);
  if (dilations.some((d) => d !== 1)) throw unsupportedOp('dilated pooling', ctx.node);
  const pads = windowPads(ctx, x, kernel, strides, dilations);
  if (ctx.attrs.get('ceil_mode')) {
    // Ceil mode adds windows at the end; PyTorch keeps only those that start inside the input.
    spatial(x).forEach((size, axis) => {
      const [before, after] = pads[axis];
      let out = Math.ceil((size + before + after - kernel[axis]) / strides[axis]) + 1;
      if ((out - 1) * strides[axis] >= size + before) out -= 1;
      const extra = (out - 1) * strides[axis] + kernel[axis] - (size + before + after);
      if (extra > 0 && mode === 'avg') throw unsupportedOp('average pooling in ceil mode', ctx.node);
      if (extra > 0) pads[axis] = [before, after + extra];
    });
  }
  let input = x;
  let padding: 'same' | 'valid' = 'valid';
  if (mode === 'max') ({ input, padding } = padFor(ctx, x, pads, { kernel, strides, dilations }, MAX_POOL_PAD));
  else if (pads.flat().some((p) => p !== 0)) {
    const includePad = Boolean(ctx.attrs.get('count_include_pad'));
    const same = padFor(ctx, x, pads, { kernel, strides, dilations });
    // TF's 'same' average excludes the padding, as count_include_pad=0 does; zero padding includes it.
    if (same.padding === 'same' && includePad) throw unsupportedOp('average pooling that counts its padding', ctx.node);
    if (same.padding === 'valid' && !includePad) throw unsupportedOp('average pooling with uneven padding that it does not count', ctx.node);
    ({ input, padding } = same);
  }
  const args = { poolSize: kernel, strides, padding, name: ctx.name };
  const layer = mode === 'max' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args);
  return { sym: layer.apply(input.sym) as tf.SymbolicTensor, nonNegative: x.nonNegative };
}

/** Global pooling as a window over the whole map, so the output stays [1, 1, C] as ONNX's. */
function globalPool(ctx: OpContext, mode: 'max' | 'avg'): TensorValue {
  const x = ctx.tensor(0);
  const args = { poolSize: spatial(x), strides: spatial(x), padding: 'valid' as const, name: ctx.name };
  const layer = mode === 'max' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args);
  return { sym: layer.apply(x.sym) as tf.SymbolicTensor, nonNegative: x.nonNegative };
}

/** Gemm (A B' + C, with alpha, beta, transB) or MatMul by a constant, as a Dense layer. */
function dense(ctx: OpContext, bias?: Constant): TensorValue {
  const x = ctx.tensor(0);
  const b = ctx.constant(1);
  if (x.sym.shape.length !== 2 || !b || b.dims.length !== 2) throw unsupportedOp(`${ctx.node.opType} other than [batch, features] x constant`, ctx.node);
  if (ctx.attrs.get('transA')) throw unsupportedOp('Gemm with transA', ctx.node);
  const transB = Boolean(ctx.attrs.get('transB'));
  const [inF, outF] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  const alpha = Number(ctx.attrs.get('alpha') ?? 1);
  const beta = Number(ctx.attrs.get('beta') ?? 1);
  if (inF !== x.sym.shape[1]) {
    throw new ConvscopeError(
      `layer '${ctx.name}' takes ${inF} features but receives ${x.sym.shape[1]}`,
      'the input size differs from the one the model was exported with: leave --size out, or export at that size',
    );
  }
  const values = floats(b);
  const kernel = new Float32Array(inF * outF);
  // Row r of the ONNX weight is feature c*h*w + y*w + z of a flattened NCHW map; ours are HWC.
  const [fh, fw, fc] = x.flatFrom ?? [1, 1, inF];
  const rowOf = Int32Array.from({ length: inF }, (_, r) => (x.flatFrom ? (r % (fh * fw)) * fc + Math.floor(r / (fh * fw)) : r));
  // Tiled, so that neither side of the transpose walks memory with a stride (VGG16: 102M weights).
  const TILE = 64;
  for (let r0 = 0; r0 < inF; r0 += TILE) {
    for (let o0 = 0; o0 < outF; o0 += TILE) {
      for (let r = r0; r < Math.min(r0 + TILE, inF); r++) {
        const row = rowOf[r] * outF;
        for (let o = o0; o < Math.min(o0 + TILE, outF); o++) kernel[row + o] = alpha * values[transB ? o * inF + r : r * outF + o];
      }
    }
  }
  const c = bias ?? ctx.constant(2);
  const biasValues = c ? Float32Array.from({ length: outF }, (_, o) => beta * floats(c)[c.dims.reduce((p, q) => p * q, 1) === 1 ? 0 : o]) : null;
  const layer = tf.layers.dense({
    units: outF,
    useBias: Boolean(c),
    name: ctx.name,
    kernelInitializer: ctx.fixed(kernel, [inF, outF]),
    biasInitializer: biasValues ? ctx.fixed(biasValues, [outF]) : undefined,
  });
  return { sym: layer.apply(x.sym) as tf.SymbolicTensor };
}

export { conv, pool, globalPool, dense, floats, pairAttr, padFor };
export type { Pair };
export { HardSigmoid, HardSwish };
