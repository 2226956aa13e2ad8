import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { randomArray, relativeError } from '../../../test/helpers/random.js';
import { clearGradientCache, useFastGradients, useStockGradients } from './register.js';
import { transposedKernelCache } from './conv2d-gradients.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  kernel: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
  dilation?: number;
  depthwise?: boolean;
}

const CASES: Case[] = [
  { name: 'k3 s1 same', x: [2, 9, 8, 3], kernel: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { name: 'k3 s1 valid', x: [2, 9, 8, 3], kernel: [3, 3, 3, 4], stride: 1, pad: 'valid' },
  {
    name: 'k2 s1 same (even kernel)',
    x: [3, 7, 7, 2],
    kernel: [2, 2, 2, 5],
    stride: 1,
    pad: 'same',
  },
  {
    name: 'k4 s1 valid (even kernel)',
    x: [2, 9, 10, 3],
    kernel: [4, 4, 3, 2],
    stride: 1,
    pad: 'valid',
  },
  { name: 'k3 s2 same', x: [2, 9, 8, 3], kernel: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { name: 'k3 s2 valid', x: [2, 9, 8, 3], kernel: [3, 3, 3, 4], stride: 2, pad: 'valid' },
  {
    name: 'k2 s2 valid (unused trailing row)',
    x: [2, 5, 7, 2],
    kernel: [2, 2, 2, 3],
    stride: 2,
    pad: 'valid',
  },
  {
    name: 'k4 s2 same (even kernel)',
    x: [2, 8, 9, 2],
    kernel: [4, 4, 2, 3],
    stride: 2,
    pad: 'same',
  },
  {
    name: 'k3 s1 same dilation 2',
    x: [2, 9, 9, 2],
    kernel: [3, 3, 2, 3],
    stride: 1,
    pad: 'same',
    dilation: 2,
  },
  {
    name: 'depthwise k3 s1 same m1',
    x: [2, 8, 8, 3],
    kernel: [3, 3, 3, 1],
    stride: 1,
    pad: 'same',
    depthwise: true,
  },
  {
    name: 'depthwise k3 s2 valid m2',
    x: [2, 9, 8, 3],
    kernel: [3, 3, 3, 2],
    stride: 2,
    pad: 'valid',
    depthwise: true,
  },
  {
    name: 'depthwise k2 s1 same m2',
    x: [2, 7, 7, 2],
    kernel: [2, 2, 2, 2],
    stride: 1,
    pad: 'same',
    depthwise: true,
  },
];

/** Input and filter gradients of sum(conv(x, w) * r) on the current backend. */
function gradients(c: Case, seed: number): { dx: Float32Array; dw: Float32Array } {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(size(c.x), seed), c.x);
    const w = tf.tensor4d(randomArray(size(c.kernel), seed + 1), c.kernel);
    const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D) =>
      c.depthwise
        ? tf.depthwiseConv2d(xi, wi, c.stride, c.pad, 'NHWC', c.dilation ?? 1)
        : tf.conv2d(xi, wi, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
    const outShape = conv(x, w).shape;
    const r = tf.tensor(randomArray(size(outShape), seed + 2), outShape);
    const loss = (xi: tf.Tensor4D, wi: tf.Tensor4D) => tf.sum(tf.mul(conv(xi, wi), r));
    const [dx, dw] = tf.grads((xi, wi) => loss(xi as tf.Tensor4D, wi as tf.Tensor4D))([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

/** Brute-force input and filter gradients of a stride-1 'valid' conv2d, from the definition. */
function bruteForce(c: Case, seed: number): { dx: Float32Array; dw: Float32Array } {
  const [n, h, w, ci] = c.x;
  const [kh, kw, , co] = c.kernel;
  const x = randomArray(n * h * w * ci, seed);
  const k = randomArray(kh * kw * ci * co, seed + 1);
  const oh = h - kh + 1;
  const ow = w - kw + 1;
  const r = randomArray(n * oh * ow * co, seed + 2);
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(k.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++)
        for (let o = 0; o < co; o++) {
          const g = r[((b * oh + y) * ow + xo) * co + o];
          for (let a = 0; a < kh; a++)
            for (let e = 0; e < kw; e++)
              for (let i = 0; i < ci; i++) {
                const xi = ((b * h + y + a) * w + xo + e) * ci + i;
                const ki = ((a * kw + e) * ci + i) * co + o;
                dx[xi] += g * k[ki];
                dw[ki] += g * x[xi];
              }
        }
  return { dx, dw };
}

/**
 * tfjs has no gradient for dilated convs, so the reference for them is the stock gradient of
 * the equivalent undilated conv whose kernel has zeros between the taps; the filter gradient
 * is that kernel's gradient read at the taps.
 */
function dilatedReference(c: Case, seed: number): { dx: Float32Array; dw: Float32Array } {
  const d = c.dilation ?? 1;
  const [kh, kw, ci, co] = c.kernel;
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(size(c.x), seed), c.x);
    const w = tf.buffer(c.kernel, 'float32', randomArray(size(c.kernel), seed + 1));
    const wide = tf.buffer([(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co]);
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) wide.set(w.get(a, b, i, o), a * d, b * d, i, o);
    const outShape = tf.conv2d(x, wide.toTensor() as tf.Tensor4D, c.stride, c.pad).shape;
    const r = tf.tensor(randomArray(size(outShape), seed + 2), outShape);
    const [dx, dWide] = tf.grads((xi, wi) =>
      tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, c.stride, c.pad), r)),
    )([x, wide.toTensor()]);
    const dw = tf.stridedSlice(dWide, [0, 0, 0, 0], dWide.shape, [d, d, 1, 1]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

describe('fast convolution gradients', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    useFastGradients();
  });

  for (const [index, c] of CASES.entries()) {
    it(`match the cpu backend's stock gradients: ${c.name}`, async () => {
      const seed = 100 + index * 10;
      useFastGradients();
      await tf.setBackend('wasm');
      const fast = gradients(c, seed);
      useStockGradients();
      await tf.setBackend('cpu');
      const reference = c.dilation ? dilatedReference(c, seed) : gradients(c, seed);
      useFastGradients();
      await tf.setBackend('wasm');
      expect(relativeError(fast.dx, reference.dx)).toBeLessThan(1e-4);
      expect(relativeError(fast.dw, reference.dw)).toBeLessThan(1e-4);
    });
  }

  it('matches a brute-force loop (stride 1, valid)', async () => {
    const c = CASES[1];
    await tf.setBackend('wasm');
    const fast = gradients(c, 7);
    const reference = bruteForce(c, 7);
    expect(relativeError(fast.dx, reference.dx)).toBeLessThan(1e-4);
    expect(relativeError(fast.dw, reference.dw)).toBeLessThan(1e-4);
  });

  it('builds the transposed kernel once for constant weights, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    clearGradientCache();
    const w = tf.variable(tf.tensor4d(randomArray(3 * 3 * 2 * 4, 3), [3, 3, 2, 4]));
    const x = tf.tensor4d(randomArray(2 * 6 * 6 * 2, 4), [2, 6, 6, 2]);
    const step = () =>
      tf.tidy(() =>
        tf.grad((xi: tf.Tensor) => tf.sum(tf.conv2d(xi as tf.Tensor4D, w, 1, 'same')))(x),
      );
    step().dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step().dispose();
    expect(transposedKernelCache.size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    clearGradientCache();
    expect(tf.memory().numTensors).toBe(before - 1);
    w.dispose();
    x.dispose();
  });

  it('computes only the input gradient, with forward convolutions, when only it is asked for', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 5, 5, 2]);
    const w = tf.ones([3, 3, 2, 2]);
    const info = await tf.profile(() =>
      tf.grad((a) => tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))(x),
    );
    const kernels = info.kernels.map((k) => k.name);
    expect(kernels).not.toContain('Conv2DBackpropFilter');
    expect(kernels).not.toContain('Conv2DBackpropInput');
    expect(kernels.filter((k) => k === 'Conv2D').length).toBe(2);
    const dx = tf.grad((a) => tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))(x);
    // An all-ones input gradient: the center pixel feeds 9 positions x 2 output channels.
    expect((dx as tf.Tensor4D).arraySync()[0][2][2]).toEqual([18, 18]);
    expect((dx as tf.Tensor4D).arraySync()[0][0][0]).toEqual([8, 8]);
    tf.dispose([x, w, dx]);
  });
});
