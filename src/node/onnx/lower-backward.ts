/**
 * Backward lowering: the vector-Jacobian product of one lowered layer as ONNX nodes, given the
 * gradient `dy` of its output; returns the gradient of each input. Derived by hand per op:
 * a stride-1 convolution's input gradient is a convolution with the flipped, in/out-transposed
 * kernel (as fast as the forward pass); strided and grouped ones use ConvTranspose; max
 * pooling routes each output gradient to its window's first maximum (the forward pass's
 * argmax indices, scattered with addition so overlapping windows add up); average pooling is a
 * transposed convolution with a ones kernel over per-window counts (padding excluded, as
 * Keras does). ReLUs follow the backward rule (gradient, deconvnet, guided, redirected).
 */
import type { EngineRule } from '../../core/engines/network-engine.js';
import type { ActivationOp, LayerOp } from '../../core/models/layer-ops.js';
import { SELU, type LoweredLayer } from './lower-forward.js';
import type { OnnxGraphBuilder } from './onnx-graph-builder.js';

export interface BackwardContext {
  b: OnnxGraphBuilder;
  op: LayerOp;
  layer: LoweredLayer;
  dy: string;
  rule: EngineRule;
  /** Per-image redirect flags as a bool tensor broadcastable to a value of the given rank. */
  redirect: (rank: number) => string;
}

/** The ReLU's backward pass under a rule; `z` is its input. */
function reluBackward(ctx: BackwardContext, z: string, dy: string, rank: number): string {
  const { b } = ctx;
  const zero = b.scalar(0);
  switch (ctx.rule) {
    case 'deconvnet':
      return b.op('Relu', [dy]);
    case 'guided':
      return b.op('Where', [b.op('Greater', [z, zero]), b.op('Relu', [dy]), zero]);
    case 'redirected': {
      const upward = b.op('And', [b.op('Greater', [dy, zero]), ctx.redirect(rank)]);
      return b.op('Where', [b.op('Or', [b.op('Greater', [z, zero]), upward]), dy, zero]);
    }
    default:
      return b.op('Where', [b.op('Greater', [z, zero]), dy, zero]);
  }
}

/** Gradient through an activation: `z` its input, `y` its output. */
export function activationBackward(
  ctx: BackwardContext,
  activation: ActivationOp,
  z: string,
  y: string,
  dy: string,
  rank: number,
): string {
  const { b } = ctx;
  const zero = b.scalar(0);
  const one = b.scalar(1);
  const mul = (...v: string[]) => v.slice(1).reduce((acc, x) => b.op('Mul', [acc, x]), v[0]);
  switch (activation.kind) {
    case 'linear':
      return dy;
    case 'relu':
      return reluBackward(ctx, z, dy, rank);
    case 'sigmoid':
      return mul(dy, y, b.op('Sub', [one, y]));
    case 'tanh':
      return mul(dy, b.op('Sub', [one, b.op('Mul', [y, y])]));
    case 'softmax': {
      const dot = b.op('ReduceSum', [b.op('Mul', [dy, y]), b.ints([1])], { keepdims: 1 });
      return mul(y, b.op('Sub', [dy, dot]));
    }
    case 'softplus':
      return mul(dy, b.op('Sigmoid', [z]));
    case 'softsign': {
      const d = b.op('Add', [one, b.op('Abs', [z])]);
      return b.op('Div', [dy, b.op('Mul', [d, d])]);
    }
    case 'elu':
      return b.op('Where', [
        b.op('Greater', [z, zero]),
        dy,
        mul(dy, b.op('Add', [y, b.scalar(activation.alpha)])),
      ]);
    case 'selu': {
      const negative = mul(dy, b.op('Add', [y, b.scalar(SELU.scale * SELU.alpha)]));
      return b.op('Where', [b.op('Greater', [z, zero]), mul(dy, b.scalar(SELU.scale)), negative]);
    }
    case 'leakyRelu':
      return b.op('Where', [b.op('Greater', [z, zero]), dy, mul(dy, b.scalar(activation.alpha))]);
    case 'relu6': {
      const inside = b.op('And', [
        b.op('Greater', [z, zero]),
        b.op('LessOrEqual', [z, b.scalar(6)]),
      ]);
      return b.op('Where', [inside, dy, zero]);
    }
    case 'hardSigmoid': {
      const alpha = activation.alpha ?? 0.2;
      const t = b.op('Add', [b.op('Mul', [z, b.scalar(alpha)]), b.scalar(activation.beta ?? 0.5)]);
      const inside = b.op('And', [b.op('Greater', [t, zero]), b.op('Less', [t, one])]);
      return b.op('Where', [inside, mul(dy, b.scalar(alpha)), zero]);
    }
    case 'hardSwish': {
      // d/dz z clip(z/6 + 1/2, 0, 1) = 0 below -3, 1 above 3, z/3 + 1/2 between.
      const slope = b.op('Add', [b.op('Mul', [z, b.scalar(1 / 3)]), b.scalar(0.5)]);
      const below = b.op('Less', [z, b.scalar(-3)]);
      const above = b.op('Greater', [z, b.scalar(3)]);
      return mul(dy, b.op('Where', [below, zero, b.op('Where', [above, one, slope])]));
    }
    case 'swish': {
      const s = b.op('Sigmoid', [z]);
      const ds = mul(z, s, b.op('Sub', [one, s]));
      return mul(dy, b.op('Add', [s, ds]));
    }
  }
}

/**
 * A merge's gradient for an input that was broadcast (squeeze-and-excitation multiplies a map
 * by [C, 1, 1] gates): summed over the axes the input had as 1. Shapes are without the batch.
 */
function unbroadcast(
  b: OnnxGraphBuilder,
  g: string,
  inputShape: number[],
  outputShape: number[],
): string {
  const axes = inputShape.flatMap((d, k) => (d === 1 && outputShape[k] !== 1 ? [k + 1] : []));
  return axes.length ? b.op('ReduceSum', [g, b.ints(axes)], { keepdims: 1 }) : g;
}

/**
 * The flipped, in/out-transposed kernel of a grouped OIHW kernel [F, C/g, kh, kw]: [C, F/g, kh,
 * kw], such that a stride-1 convolution with it computes the input gradient.
 */
export function flipTranspose(
  values: Float32Array,
  dims: number[],
  group: number,
): { values: Float32Array; dims: number[] } {
  const [f, cg, kh, kw] = dims;
  const fg = f / group;
  const out = new Float32Array(values.length);
  for (let g = 0; g < group; g++)
    for (let o = 0; o < fg; o++)
      for (let c = 0; c < cg; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++)
            out[(((g * cg + c) * fg + o) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)] =
              values[(((g * fg + o) * cg + c) * kh + i) * kw + j];
  return { values: out, dims: [cg * group, fg, kh, kw] };
}

interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number, number, number];
  inSize: [number, number];
  outSize: [number, number];
}

/** Input gradient of a (grouped) convolution with OIHW kernel `w`. */
function convInputGradient(
  b: OnnxGraphBuilder,
  dz: string,
  w: { values: Float32Array; dims: number[] },
  group: number,
  win: Window,
): string {
  const [pt, pl, pb, pr] = win.pads;
  const span = (a: 0 | 1) => (win.kernel[a] - 1) * win.dilations[a];
  const flipped = [span(0) - pt, span(1) - pl, span(0) - pb, span(1) - pr];
  if (win.strides[0] === 1 && win.strides[1] === 1 && flipped.every((p) => p >= 0)) {
    const k = flipTranspose(w.values, w.dims, group);
    return b.op('Conv', [dz, b.floats('Wflip', k.values, k.dims)], {
      dilations: win.dilations,
      pads: flipped,
      group,
    });
  }
  const outputPadding = ([0, 1] as const).map(
    (a) =>
      win.inSize[a] -
      ((win.outSize[a] - 1) * win.strides[a] + span(a) + 1 - win.pads[a] - win.pads[a + 2]),
  );
  return b.op('ConvTranspose', [dz, b.floats('Wt', w.values, w.dims)], {
    strides: win.strides,
    dilations: win.dilations,
    pads: win.pads,
    group,
    output_padding: outputPadding,
  });
}

/** Routes `dy` to the flattened argmax `indices` of an input shaped like `x`. */
function scatterToArgmax(b: OnnxGraphBuilder, x: string, indices: string, dy: string): string {
  const shape = b.op('Shape', [x]);
  const zeros = b.op('ConstantOfShape', [b.op('ReduceProd', [shape], { keepdims: 1 })]);
  const flat = (v: string) => b.op('Reshape', [v, b.ints([-1])]);
  const scattered = b.op('ScatterElements', [zeros, flat(indices), flat(dy)], {
    axis: 0,
    reduction: 'add',
  });
  return b.op('Reshape', [scattered, shape]);
}

/** Per-output-position 1 / (in-bounds elements of the window), [outH, outW]. */
function inverseCounts(win: Window): Float32Array {
  const count = (a: 0 | 1, i: number) => {
    const start = i * win.strides[a] - win.pads[a];
    return Math.min(start + win.kernel[a], win.inSize[a]) - Math.max(start, 0);
  };
  const [oh, ow] = win.outSize;
  const out = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++) out[i * ow + j] = 1 / (count(0, i) * count(1, j));
  return out;
}

function windowOf(
  layer: LoweredLayer,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): Window {
  const [, ih, iw] = layer.inputShapes[0];
  const [, oh, ow] = layer.shape;
  return { kernel, strides, dilations, pads: layer.pads!, inSize: [ih, iw], outSize: [oh, ow] };
}

/** The gradient of each input of a layer, given the gradient `dy` of its output. */
export function lowerBackward(ctx: BackwardContext): string[] {
  const { b, op, layer, dy } = ctx;
  const x = layer.inputs[0];
  const rank = layer.shape.length + 1;
  switch (op.op) {
    case 'conv': {
      const dz = activationBackward(ctx, op.activation, layer.pre!, layer.out, dy, 4);
      const win = windowOf(layer, op.kernel, op.strides, op.dilations);
      const channels = layer.inputShapes[0][0];
      if (op.variant === 'separable') {
        const pw = layer.onnxWeights!.pointwise;
        const dMid = convInputGradient(b, dz, pw, 1, {
          ...win,
          kernel: [1, 1],
          strides: [1, 1],
          dilations: [1, 1],
          pads: [0, 0, 0, 0],
          inSize: win.outSize,
        });
        return [convInputGradient(b, dMid, layer.onnxWeights!.main, channels, win)];
      }
      return [
        convInputGradient(
          b,
          dz,
          layer.onnxWeights!.main,
          op.variant === 'plain' ? (op.groups ?? 1) : channels,
          win,
        ),
      ];
    }
    case 'dense': {
      const dz = activationBackward(ctx, op.activation, layer.pre!, layer.out, dy, 2);
      const { values, dims } = layer.onnxWeights!.kernel;
      const [inputs, units] = dims;
      const transposed = new Float32Array(values.length);
      for (let i = 0; i < inputs; i++)
        for (let u = 0; u < units; u++) transposed[u * inputs + i] = values[i * units + u];
      return [b.op('MatMul', [dz, b.floats('Wt', transposed, [units, inputs])])];
    }
    case 'pool': {
      if (op.mode === 'max') return [scatterToArgmax(b, x, layer.indices!, dy)];
      const win = windowOf(layer, op.size, op.strides, [1, 1]);
      const channels = layer.inputShapes[0][0];
      const scaled = b.op('Mul', [
        dy,
        b.floats('inv_count', inverseCounts(win), [1, 1, ...win.outSize]),
      ]);
      const ones = new Float32Array(channels * op.size[0] * op.size[1]).fill(1);
      return [
        convInputGradient(b, scaled, { values: ones, dims: [channels, 1, ...op.size] }, channels, {
          ...win,
          pads: layer.pads!,
        }),
      ];
    }
    case 'globalPool': {
      const [channels, h, w] = layer.inputShapes[0];
      const dy4 = b.op('Reshape', [dy, b.ints([0, channels, 1, 1])]);
      if (op.mode === 'max') return [scatterToArgmax(b, x, layer.indices!, dy4)];
      return [b.op('Expand', [b.op('Mul', [dy4, b.scalar(1 / (h * w))]), b.op('Shape', [x])])];
    }
    case 'batchNorm': {
      const { values, dims } = layer.onnxWeights!.scale;
      return [b.op('Mul', [dy, b.floats('bn_scale', values, dims)])];
    }
    case 'activation':
      return [activationBackward(ctx, op.activation, x, layer.out, dy, rank)];
    case 'add':
      return layer.inputs.map((_, i) => unbroadcast(b, dy, layer.inputShapes[i], layer.shape));
    case 'multiply':
      return layer.inputs.map((_, i) =>
        unbroadcast(
          b,
          layer.inputs.reduce((acc, v, j) => (j === i ? acc : b.op('Mul', [acc, v])), dy),
          layer.inputShapes[i],
          layer.shape,
        ),
      );
    case 'concat': {
      const sizes = layer.inputShapes.map((s) => s[0]);
      return b.node('Split', [dy, b.ints(sizes)], { axis: 1 }, sizes.length);
    }
    case 'flatten': {
      if (layer.inputShapes[0].length !== 3) return [dy];
      const [c, h, w] = layer.inputShapes[0];
      return [
        b.op('Transpose', [b.op('Reshape', [dy, b.ints([-1, h, w, c])])], { perm: [0, 3, 1, 2] }),
      ];
    }
    case 'zeroPad': {
      const [t, , l] = op.amounts;
      const [, h, w] = layer.inputShapes[0];
      return [b.op('Slice', [dy, b.ints([t, l]), b.ints([t + h, l + w]), b.ints([2, 3])])];
    }
    case 'crop': {
      const [t, bottom, l, r] = op.amounts;
      return [b.op('Pad', [dy, b.ints([0, 0, t, l, 0, 0, bottom, r])])];
    }
    case 'identity':
    case 'input':
      return [dy];
    case 'unsupported':
      throw new Error(op.reason);
  }
}
