/**
 * The kernels convscope's methods run, as small cases shared by the test page (which runs
 * them on cpu, wasm, webgl and webgpu) and the test (which checks every backend against a
 * brute-force reference and against the others). Each case builds seeded inputs, computes its
 * forward values and the gradients of `sum(y * w)` with tfjs (through convscope's own
 * gradient configs and ReLU rules), and names the reference arrays they must equal.
 */
import * as tf from '@tensorflow/tfjs';
import { reluFor, type BackwardRule } from '../../../src/core/methods/relu-rules.js';
import { redirectedRelu } from '../../../src/core/optimize/redirected-relu.js';
import { InverseRfft2d } from '../../../src/core/parameterizations/inverse-fft.js';
import { resize, rotate } from '../../../src/core/transforms/affine-sample.js';
import { randomArray } from '../../helpers/random.js';
import * as ref from './reference.js';

type Shape4 = [number, number, number, number];
type Inputs = Record<string, { data: Float32Array; shape: number[] }>;
type Arrays = Record<string, Float32Array>;

export interface KernelCase {
  name: string;
  inputs: () => Inputs;
  /** Forward values and gradients, keyed as `reference` keys them. */
  run: (t: Record<string, tf.Tensor>) => Record<string, tf.Tensor>;
  reference: (a: Arrays) => Record<string, ArrayLike<number>>;
  /** Windows where a tie rule decides (max-pool cases): the test asserts there are some. */
  ties?: (a: Arrays) => number;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const random = (shape: number[], seed: number) => ({ data: randomArray(size(shape), seed), shape });
/** Values on a coarse grid (many exact ties), ReLU'd (many zeros): what max pools see. */
const coarse = (shape: number[], seed: number) => ({
  data: randomArray(size(shape), seed).map((v) => Math.max(0, Math.round(v * 2) / 2)),
  shape,
});

/** `fn`'s outputs and its gradients with respect to `wrt`, for L = sum(fn(...) * w). */
function valueAndGrads(
  t: Record<string, tf.Tensor>,
  wrt: string[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
): Record<string, tf.Tensor> {
  const y = fn(...wrt.map((k) => t[k]));
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(fn(...xs), t.w)))(
    wrt.map((k) => t[k]),
  );
  return { y, ...Object.fromEntries(wrt.map((k, i) => [`d${k}`, grads[i]])) };
}

function convCase(name: string, spec: ref.ConvSpec): KernelCase {
  const [, h, w] = spec.x;
  const [kh, kw, cin, k4] = spec.kernel;
  const g = ref.geometry([h, w], [kh, kw], spec.stride, spec.dilation, spec.pad);
  const cout = spec.depthwise ? cin * k4 : k4;
  return {
    name,
    inputs: () => ({
      x: random(spec.x, 1),
      f: random(spec.kernel, 2),
      w: random([spec.x[0], g.outHeight, g.outWidth, cout], 3),
    }),
    run: (t) =>
      valueAndGrads(t, ['x', 'f'], (x, f) =>
        (spec.depthwise ? tf.depthwiseConv2d : tf.conv2d)(
          x as tf.Tensor4D,
          f as tf.Tensor4D,
          spec.stride,
          spec.pad,
          'NHWC',
          spec.dilation,
        ),
      ),
    reference: (a) => {
      const r = ref.convReference(spec, a.x, a.f, a.w);
      return { y: r.y, dx: r.dx, df: r.df };
    },
  };
}

function poolCase(kind: 'max' | 'avg', name: string, spec: ref.PoolSpec): KernelCase {
  const g = ref.geometry([spec.x[1], spec.x[2]], [spec.size, spec.size], spec.stride, 1, spec.pad);
  return {
    name,
    inputs: () => ({
      x: kind === 'max' ? coarse(spec.x, 4) : random(spec.x, 4),
      w: random([spec.x[0], g.outHeight, g.outWidth, spec.x[3]], 5),
    }),
    run: (t) =>
      valueAndGrads(t, ['x'], (x) =>
        (kind === 'max' ? tf.maxPool : tf.avgPool)(
          x as tf.Tensor4D,
          spec.size,
          spec.stride,
          spec.pad,
        ),
      ),
    reference: (a) =>
      (kind === 'max' ? ref.maxPoolReference : ref.avgPoolReference)(spec, a.x, a.w),
    ties: kind === 'max' ? (a) => ref.countTies(spec, a.x) : undefined,
  };
}

function resizeCase(from: Shape4, to: [number, number]): KernelCase {
  return {
    name: `resize ${from[1]}x${from[2]} -> ${to[0]}x${to[1]} (bilinear, half-pixel; gather gradient)`,
    inputs: () => ({ x: random(from, 6), w: random([from[0], ...to, from[3]], 7) }),
    run: (t) => valueAndGrads(t, ['x'], (x) => resize(x as tf.Tensor4D, to)),
    reference: (a) => ref.resizeReference(a.x, from, to, a.w),
  };
}

function rotateCase(shape: Shape4, degrees: number): KernelCase {
  return {
    name: `rotate ${degrees} degrees ${shape[1]}x${shape[2]} (gather, UnsortedSegmentSum)`,
    inputs: () => ({ x: random(shape, 8), w: random(shape, 9) }),
    run: (t) => valueAndGrads(t, ['x'], (x) => rotate(x as tf.Tensor4D, degrees, 0.5)),
    reference: (a) => ref.rotateReference(a.x, shape, degrees, 0.5, a.w),
  };
}

function dftCase(n: number, h: number, w: number): KernelCase {
  const half = [n, h, Math.floor(w / 2) + 1];
  return {
    name: `inverse rfft2 ${h}x${w} (DFT matmuls)`,
    inputs: () => ({ re: random(half, 10), im: random(half, 11), w: random([n, h, w], 12) }),
    run: (t) => {
      const inverse = new InverseRfft2d(h, w);
      const out = valueAndGrads(t, ['re', 'im'], (re, im) =>
        inverse.apply(re as tf.Tensor3D, im as tf.Tensor3D),
      );
      inverse.dispose();
      return out;
    },
    reference: (a) => {
      const r = ref.irfft2Reference(a.re, a.im, [n, h, w], a.w);
      return { y: r.img, dre: r.dre, dim: r.dim };
    },
  };
}

type Rule = BackwardRule | 'redirected' | 'redirected image 1';

/** g * mask for each rule, g the incoming gradient (here w) and x the ReLU's input. */
function reluGradient(rule: Rule, x: number, g: number, image: number): number {
  if (rule === 'deconvnet') return Math.max(0, g);
  if (rule === 'guided') return x > 0 ? Math.max(0, g) : 0;
  const redirected = rule === 'redirected' || (rule === 'redirected image 1' && image === 1);
  return x > 0 || (redirected && g > 0) ? g : 0;
}

function reluCase(rule: Rule): KernelCase {
  const shape: Shape4 = [2, 3, 4, 3];
  const relu =
    rule === 'redirected'
      ? redirectedRelu()
      : rule === 'redirected image 1'
        ? redirectedRelu([false, true])
        : reluFor(rule);
  return {
    name: `relu, ${rule} rule`,
    // Exact zeros included: the rules must agree on x = 0 (no gradient, unless redirected).
    inputs: () => ({
      x: { data: randomArray(size(shape), 13).map((v) => Math.round(v * 4) / 4), shape },
      w: random(shape, 14),
    }),
    run: (t) => valueAndGrads(t, ['x'], (x) => relu(x)),
    reference: (a) => ({
      y: a.x.map((v) => Math.max(0, v)),
      dx: a.x.map((v, i) => reluGradient(rule, v, a.w[i], Math.floor(i / (size(shape) / 2)))),
    }),
  };
}

const logitsCase: KernelCase = {
  name: 'dense logits (matMul + bias) and softmax',
  inputs: () => ({
    x: random([3, 10], 15),
    k: random([10, 5], 16),
    b: random([5], 17),
    w: random([3, 5], 18),
  }),
  run: (t) => {
    const logits = valueAndGrads(t, ['x', 'k'], (x, k) =>
      tf.add(tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D), t.b),
    );
    const soft = valueAndGrads({ ...t, z: logits.y }, ['z'], (z) => tf.softmax(z));
    return { ...logits, p: soft.y, dz: soft.dz };
  },
  reference: (a) => {
    const z = new Float32Array(15);
    const dx = new Float64Array(30);
    const dk = new Float64Array(50);
    for (let r = 0; r < 3; r++)
      for (let o = 0; o < 5; o++) {
        z[r * 5 + o] = a.b[o];
        for (let i = 0; i < 10; i++) {
          z[r * 5 + o] += a.x[r * 10 + i] * a.k[i * 5 + o];
          dx[r * 10 + i] += a.w[r * 5 + o] * a.k[i * 5 + o];
          dk[i * 5 + o] += a.w[r * 5 + o] * a.x[r * 10 + i];
        }
      }
    const soft = ref.softmaxReference(z, [3, 5], a.w);
    return { y: z, dx, dk, p: soft.p, dz: soft.dz };
  },
};

const fusedConvCase: KernelCase = {
  name: 'fused conv + bias + relu (inference path of maps and patches)',
  inputs: () => ({ x: random([2, 6, 6, 3], 19), f: random([3, 3, 3, 4], 20), b: random([4], 21) }),
  run: (t) => ({
    y: tf.fused.conv2d({
      x: t.x as tf.Tensor4D,
      filter: t.f as tf.Tensor4D,
      strides: 1,
      pad: 'same',
      bias: t.b,
      activation: 'relu',
    }),
  }),
  reference: (a) => {
    const spec: ref.ConvSpec = {
      x: [2, 6, 6, 3],
      kernel: [3, 3, 3, 4],
      stride: 1,
      dilation: 1,
      pad: 'same',
    };
    const { y } = ref.convReference(spec, a.x, a.f, new Float32Array(2 * 6 * 6 * 4));
    return { y: y.map((v, i) => Math.max(0, v + a.b[i % 4])) };
  },
};

const terms = [...Array(9).keys()].map((i) => `t${i}`);
const addNCase: KernelCase = {
  name: 'addN of 9 tensors (objective sums, 3x3 pool taps)',
  inputs: () => Object.fromEntries(terms.map((k, i) => [k, random([2, 5], 30 + i)])),
  run: (t) => ({ y: tf.addN(terms.map((k) => t[k])) }),
  reference: (a) => ({ y: a.t0.map((_, j) => terms.reduce((s, k) => s + a[k][j], 0)) }),
};

export const KERNEL_CASES: KernelCase[] = [
  convCase('conv k3 s2 same', {
    x: [2, 7, 8, 3],
    kernel: [3, 3, 3, 4],
    stride: 2,
    dilation: 1,
    pad: 'same',
  }),
  convCase('conv k2 s2 valid (unused trailing row)', {
    x: [1, 5, 7, 2],
    kernel: [2, 2, 2, 3],
    stride: 2,
    dilation: 1,
    pad: 'valid',
  }),
  convCase('conv k3 dilation 2 same', {
    x: [1, 8, 8, 2],
    kernel: [3, 3, 2, 3],
    stride: 1,
    dilation: 2,
    pad: 'same',
  }),
  convCase('depthwise k3 s1 same, multiplier 2', {
    x: [2, 6, 6, 3],
    kernel: [3, 3, 3, 2],
    stride: 1,
    dilation: 1,
    pad: 'same',
    depthwise: true,
  }),
  convCase('depthwise k3 s2 valid', {
    x: [1, 7, 7, 4],
    kernel: [3, 3, 4, 1],
    stride: 2,
    dilation: 1,
    pad: 'valid',
    depthwise: true,
  }),
  fusedConvCase,
  poolCase('max', 'maxPool k2 s2 valid, ties', {
    x: [2, 6, 6, 3],
    size: 2,
    stride: 2,
    pad: 'valid',
  }),
  poolCase('max', 'maxPool k3 s2 same, overlapping windows, ties', {
    x: [1, 7, 7, 2],
    size: 3,
    stride: 2,
    pad: 'same',
  }),
  poolCase('max', 'maxPool k3 s1 valid, overlapping windows, ties', {
    x: [2, 5, 6, 2],
    size: 3,
    stride: 1,
    pad: 'valid',
  }),
  poolCase('avg', 'avgPool k2 s2 valid', { x: [2, 6, 6, 3], size: 2, stride: 2, pad: 'valid' }),
  poolCase('avg', 'avgPool k3 s2 same', { x: [1, 7, 7, 2], size: 3, stride: 2, pad: 'same' }),
  resizeCase([2, 9, 8, 3], [12, 11]),
  rotateCase([2, 9, 8, 3], 7),
  dftCase(2, 7, 6),
  reluCase('gradient'),
  reluCase('deconvnet'),
  reluCase('guided'),
  reluCase('redirected'),
  reluCase('redirected image 1'),
  logitsCase,
  addNCase,
];
