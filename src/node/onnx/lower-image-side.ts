/**
 * The image side of a fused step as ONNX nodes, before and after the network (NCHW inside):
 * forward, spectrum -> inverse real DFT (constant matrix products, `dftBases`) -> /4 -> colour
 * -> + offset -> sigmoid -> each view map (a Gather of its taps, weighted and summed, plus its
 * constant) -> preprocessing (a channel matrix and bias) = the network input; backward, the
 * same steps transposed (each map's taps scattered back with ScatterND's add, sigmoid's
 * s(1-s), the bases transposed),
 * ending at the gradient with respect to the spectrum. Everything per step (spectrum, view
 * taps, redirect flags) is a graph input, so one session serves a whole run.
 */
import { dftBases, halfWidth } from '../../core/parameterizations/inverse-fft.js';
import type { OnnxGraphBuilder } from './onnx-graph-builder.js';

export interface ImageSideShape {
  height: number;
  width: number;
  channels: number;
  /** Number of view maps. */
  maps: number;
  /** The model input [height, width]. */
  input: [number, number];
}

/** What the backward half needs from the forward half. */
export interface ImageSideState {
  shape: ImageSideShape;
  sigmoid: string;
  bases: Record<'cosY' | 'sinY' | 'cosXt' | 'sinXt', string>;
  scale: string;
  colour: string;
  matrix: string;
  /** Each view map's taps and the value it samples (its shape sizes the gradient). */
  maps: { index: string; weight: string; source: string }[];
}

/** Feed names of the image side's inputs. */
export const imageSideInputs = {
  real: 'image:real',
  imaginary: 'image:imaginary',
  scale: 'image:scale',
  colour: 'image:colour',
  offset: 'image:offset',
  matrix: 'pre:matrix',
  bias: 'pre:bias',
  map: (i: number, part: 'index' | 'weight' | 'constant') => `view${i}:${part}`,
};

/** Gathers taps along the pixel axis of [b, c, n] and sums them: [b, c, pixels]. */
function sample(b: OnnxGraphBuilder, value: string, index: string, weight: string): string {
  const gathered = b.op('Gather', [value, index], { axis: 2 });
  return b.op('ReduceSum', [b.op('Mul', [gathered, weight]), b.ints([2])], { keepdims: 0 });
}

/** Adds the forward half; returns the network input (NCHW) and the state for the backward. */
export function lowerImageForward(
  b: OnnxGraphBuilder,
  shape: ImageSideShape,
): { input: string; state: ImageSideState } {
  const { height: h, width: w, channels: c } = shape;
  const wf = halfWidth(w);
  const names = imageSideInputs;
  const m = dftBases(h, w);
  const bases = {
    cosY: b.floats('cosY', m.cosY, [h, h]),
    sinY: b.floats('sinY', m.sinY, [h, h]),
    cosX: b.floats('cosX', m.cosX, [wf, w]),
    sinX: b.floats('sinX', m.sinX, [wf, w]),
    cosXt: b.floats('cosXt', m.cosXt, [w, wf]),
    sinXt: b.floats('sinXt', m.sinXt, [w, wf]),
  };
  const scale = b.input(names.scale, [h, wf]);
  const re = b.op('Mul', [b.input(names.real, ['planes', h, wf]), scale]);
  const im = b.op('Mul', [b.input(names.imaginary, ['planes', h, wf]), scale]);
  const mm = (x: string, y: string) => b.op('MatMul', [x, y]);
  const ar = b.op('Sub', [mm(bases.cosY, re), mm(bases.sinY, im)]);
  const ai = b.op('Add', [mm(bases.sinY, re), mm(bases.cosY, im)]);
  const planes = b.op('Sub', [mm(ar, bases.cosX), mm(ai, bases.sinX)]);
  const pixels = b.op('Mul', [b.op('Reshape', [planes, b.ints([-1, c, h * w])]), b.scalar(0.25)]);
  const colour = b.input(names.colour, [c, c]);
  const logits = b.op('Add', [mm(colour, pixels), b.input(names.offset, [c, h * w])]);
  const sigmoid = b.op('Sigmoid', [logits]);
  let value = sigmoid;
  const maps: ImageSideState['maps'] = [];
  for (let i = 0; i < shape.maps; i++) {
    const index = b.input(names.map(i, 'index'), [`taps${i}`, `pixels${i}`], 'int32');
    const weight = b.input(names.map(i, 'weight'), [`taps${i}`, `pixels${i}`]);
    const constant = b.input(names.map(i, 'constant'), [`pixels${i}`]);
    maps.push({ index, weight, source: value });
    value = b.op('Add', [sample(b, value, index, weight), constant]);
  }
  const matrix = b.input(names.matrix, [c, c]);
  const preprocessed = b.op('Add', [mm(matrix, value), b.input(names.bias, [c, 1])]);
  const input = b.op('Reshape', [preprocessed, b.ints([-1, c, ...shape.input])]);
  return {
    input,
    state: {
      shape,
      sigmoid,
      bases: { cosY: bases.cosY, sinY: bases.sinY, cosXt: bases.cosXt, sinXt: bases.sinXt },
      scale,
      colour,
      matrix,
      maps,
    },
  };
}

/** Adds the backward half from the network input's gradient (NCHW) to the spectrum's. */
export function lowerImageBackward(b: OnnxGraphBuilder, state: ImageSideState, gradient: string) {
  const { shape, bases } = state;
  const { height: h, width: w, channels: c } = shape;
  const mm = (x: string, y: string) => b.op('MatMul', [x, y]);
  const transpose = (x: string) => b.op('Transpose', [x], { perm: [1, 0] });
  const flat = b.op('Reshape', [gradient, b.ints([0, c, shape.input[0] * shape.input[1]])]);
  let g = mm(transpose(state.matrix), flat);
  for (let i = shape.maps - 1; i >= 0; i--) g = scatterTaps(b, state, i, g);
  const s = state.sigmoid;
  const dLogits = b.op('Mul', [g, b.op('Mul', [s, b.op('Sub', [b.scalar(1), s])])]);
  const dPixels = b.op('Mul', [mm(transpose(state.colour), dLogits), b.scalar(0.25)]);
  const dPlanes = b.op('Reshape', [dPixels, b.ints([-1, h, w])]);
  const dar = mm(dPlanes, bases.cosXt);
  const dai = b.op('Neg', [mm(dPlanes, bases.sinXt)]);
  const dxr = b.op('Add', [mm(bases.cosY, dar), mm(bases.sinY, dai)]);
  const dxi = b.op('Sub', [mm(bases.cosY, dai), mm(bases.sinY, dar)]);
  b.output('grad:real', b.op('Mul', [dxr, state.scale]));
  b.output('grad:imaginary', b.op('Mul', [dxi, state.scale]));
}

/**
 * The gradient through map `i`: each tap's weighted output gradient added back at its source
 * pixel (ScatterND with reduction add, pixels leading), so no transposed taps are needed.
 */
function scatterTaps(b: OnnxGraphBuilder, state: ImageSideState, i: number, g: string): string {
  const { index, weight, source } = state.maps[i];
  // [b, c, n] -> [n, b * c]: pixels lead, as ScatterND indexes the leading axis.
  const rows = (x: string) =>
    b.op('Transpose', [b.op('Flatten', [x], { axis: 2 })], { perm: [1, 0] });
  // [taps, n, b * c] -> [taps * n, b * c]: every tap's weighted gradient.
  const updates = b.op(
    'Flatten',
    [
      b.op('Mul', [
        b.op('Unsqueeze', [rows(g), b.ints([0])]),
        b.op('Unsqueeze', [weight, b.ints([2])]),
      ]),
    ],
    { axis: 2 },
  );
  const indices = b.op('Cast', [b.op('Reshape', [index, b.ints([-1, 1])])], { to: 7 });
  const zeros = b.op('Mul', [rows(source), b.scalar(0)]);
  const summed = b.op('ScatterND', [zeros, indices, updates], { reduction: 'add' });
  return b.op('Reshape', [b.op('Transpose', [summed], { perm: [1, 0] }), b.op('Shape', [source])]);
}
