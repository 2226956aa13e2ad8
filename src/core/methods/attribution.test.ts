/**
 * Attributions against independent references: a hand-written deconvnet / guided / gradient
 * backward pass (plain JS loops: unpool at the switches, the ReLU rule, transposed conv), tfjs'
 * stock gradient through the LayersModel, and a hand-computed Grad-CAM.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { functionalModel } from '../../../test/helpers/fixture-models.js';
import { randomArray, relativeError } from '../../../test/helpers/random.js';
import { receptiveBox } from '../models/receptive-field.js';
import { VisModel } from '../models/vis-model.js';
import { attributionImage } from './attribution-image.js';
import { attribute } from './attribution.js';
import type { AttributionTarget } from './attribution-target.js';

beforeAll(async () => {
  await initBackend('wasm');
});

type Rule = 'deconvnet' | 'guided' | 'gradient';
interface Conv {
  kernel: Float32Array;
  bias: Float32Array;
  cin: number;
  cout: number;
}
const S = 8; // input size

/** 3x3 same conv, stride 1, on an S x S x cin map (HWC). */
function conv(x: Float64Array, { kernel, bias, cin, cout }: Conv): Float64Array {
  const z = new Float64Array(S * S * cout);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++)
      for (let o = 0; o < cout; o++) {
        let sum = bias[o];
        for (let dy = 0; dy < 3; dy++)
          for (let dx = 0; dx < 3; dx++)
            for (let c = 0; c < cin; c++) {
              const [y, xx] = [i + dy - 1, j + dx - 1];
              if (y >= 0 && y < S && xx >= 0 && xx < S)
                sum += x[(y * S + xx) * cin + c] * kernel[((dy * 3 + dx) * cin + c) * cout + o];
            }
        z[(i * S + j) * cout + o] = sum;
      }
  return z;
}

/** The transposed conv: the input-side signal of an output-side signal g. */
function convT(g: Float64Array, { kernel, cin, cout }: Conv): Float64Array {
  const out = new Float64Array(S * S * cin);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++)
      for (let o = 0; o < cout; o++) {
        const v = g[(i * S + j) * cout + o];
        if (v === 0) continue;
        for (let dy = 0; dy < 3; dy++)
          for (let dx = 0; dx < 3; dx++)
            for (let c = 0; c < cin; c++) {
              const [y, xx] = [i + dy - 1, j + dx - 1];
              if (y >= 0 && y < S && xx >= 0 && xx < S)
                out[(y * S + xx) * cin + c] += v * kernel[((dy * 3 + dx) * cin + c) * cout + o];
            }
      }
  return out;
}

const reluRule = (g: Float64Array, z: Float64Array, rule: Rule) =>
  g.map((v, i) =>
    rule === 'gradient'
      ? z[i] > 0
        ? v
        : 0
      : rule === 'deconvnet'
        ? Math.max(v, 0)
        : z[i] > 0
          ? Math.max(v, 0)
          : 0,
  );

/** 2x2 max-pool with its switches (first maximum in row-major order). */
function pool(a: Float64Array, c: number) {
  const h = S / 2;
  const p = new Float64Array(h * h * c);
  const switches = new Int32Array(h * h * c);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < h; j++)
      for (let k = 0; k < c; k++) {
        let best = -Infinity;
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++) {
            const at = ((2 * i + dy) * S + 2 * j + dx) * c + k;
            if (a[at] > best) [best, switches[(i * h + j) * c + k]] = [a[at], at];
          }
        p[(i * h + j) * c + k] = best;
      }
  return { p, switches };
}

/** Net: conv1 + ReLU [, conv2 + ReLU], max-pool; backward from a pool-channel seed. */
function reference(
  x: Float64Array,
  convs: Conv[],
  seed: (p: Float64Array) => Float64Array,
  rule: Rule,
) {
  const zs: Float64Array[] = [];
  let a = x;
  for (const layer of convs) {
    zs.push(conv(a, layer));
    a = zs[zs.length - 1].map((v) => Math.max(v, 0));
  }
  const last = convs[convs.length - 1];
  const { p, switches } = pool(a, last.cout);
  const gp = seed(p);
  let g: Float64Array = new Float64Array(a.length);
  gp.forEach((v, i) => (g[switches[i]] += v));
  for (let l = convs.length - 1; l >= 0; l--) g = convT(reluRule(g, zs[l], rule), convs[l]);
  return g;
}

function buildNet(convs: Conv[]): VisModel {
  const layers: tf.layers.Layer[] = convs.map((c, i) =>
    tf.layers.conv2d({
      ...(i === 0 ? { inputShape: [S, S, c.cin] } : {}),
      filters: c.cout,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: `conv${i + 1}`,
    }),
  );
  const model = tf.sequential({
    layers: [...layers, tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' })],
  });
  convs.forEach((c, i) =>
    model
      .getLayer(`conv${i + 1}`)
      .setWeights([tf.tensor4d(c.kernel, [3, 3, c.cin, c.cout]), tf.tensor1d(c.bias)]),
  );
  return new VisModel(model);
}

const randomConv = (cin: number, cout: number, seed: number): Conv => ({
  kernel: randomArray(9 * cin * cout, seed, 0.6),
  bias: randomArray(cout, seed + 100, 0.1),
  cin,
  cout,
});
const input = (c: number, seed: number) => randomArray(S * S * c, seed).map((v) => (v + 1) / 2);

describe('deconvnet, guided backprop, gradient', () => {
  it('deconvnet of conv + ReLU + max-pool equals the hand-written reference; zero outside the receptive field', async () => {
    const convs = [randomConv(3, 3, 1)];
    const vis = buildNet(convs);
    const x = input(3, 2);
    const image = tf.tensor3d(x, [S, S, 3]);
    // The first call caches the conv's transposed kernel (kernel-patches/kernel-cache.ts).
    await attribute(vis, image, 'guided', { kind: 'unit', layer: 'pool', channel: 0 });
    const before = tf.memory().numTensors;
    const result = await attribute(vis, image, 'deconvnet', {
      kind: 'unit',
      layer: 'pool',
      channel: 1,
      position: 'max',
    });
    expect(tf.memory().numTensors).toBe(before);
    const [y, xx] = (result.target as { position: [number, number] }).position;
    const seed = (p: Float64Array) => p.map((_, i) => (i === (y * (S / 2) + xx) * 3 + 1 ? 1 : 0));
    const expected = reference(Float64Array.from(x), convs, seed, 'deconvnet');
    expect(relativeError(result.values, expected)).toBeLessThan(1e-5);
    expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0);
    // The pool unit sees a 4x4 box; nothing outside it moves.
    const [x0, y0, x1, y1] = receptiveBox(vis.layer('pool').receptiveField!, y, xx, S, S);
    expect(x1 - x0).toBeLessThanOrEqual(4);
    expect(y1 - y0).toBeLessThanOrEqual(4);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++)
        for (let c = 0; c < 3; c++) {
          if (i < y0 || i >= y1 || j < x0 || j >= x1)
            expect(result.values[(i * S + j) * 3 + c]).toBe(0);
        }
  });

  it('with two ReLUs the three rules differ, each exactly as its reference (whole-map seed)', async () => {
    const convs = [randomConv(1, 4, 3), randomConv(4, 3, 4)];
    const vis = buildNet(convs);
    const x = input(1, 5);
    const image = tf.tensor3d(x, [S, S, 1]);
    const target = { kind: 'unit' as const, layer: 'pool', channel: 2 };
    const results: Record<string, Float32Array> = {};
    for (const [method, rule] of [
      ['deconvnet', 'deconvnet'],
      ['guided', 'guided'],
      ['saliency', 'gradient'],
    ] as const) {
      const result = await attribute(vis, image, method, target);
      const expected = reference(
        Float64Array.from(x),
        convs,
        (p) => p.map((v, i) => (i % 3 === 2 ? v : 0)),
        rule,
      );
      expect(relativeError(result.values, expected)).toBeLessThan(1e-5);
      results[method] = result.values;
    }
    expect(relativeError(results.guided, results.deconvnet)).toBeGreaterThan(1e-3);
    expect(relativeError(results.saliency, results.guided)).toBeGreaterThan(1e-3);
  });
});

describe('saliency, SmoothGrad, Grad-CAM', () => {
  it('saliency equals tf.grad of the logit through the LayersModel; SmoothGrad with zero noise equals it', async () => {
    const model = functionalModel(4, 1);
    const vis = new VisModel(model);
    const data = randomArray(100, 9).map((v) => (v + 1) / 2);
    const image = tf.tensor3d(data, [10, 10, 1]);
    const saliency = await attribute(vis, image, 'saliency', { kind: 'class', index: 2 });
    const logits = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer('logits').output as tf.SymbolicTensor,
    });
    const expected = tf.grad((x) => tf.sum(tf.gather(logits.apply(x) as tf.Tensor, [2], 1)))(
      tf.tensor4d(data, [1, 10, 10, 1]),
    );
    expect(relativeError(saliency.values, expected.dataSync())).toBeLessThan(1e-5);
    const smooth = await attribute(
      vis,
      image,
      'smoothgrad',
      { kind: 'class', index: 2 },
      { noise: 0, samples: 3 },
    );
    expect(relativeError(smooth.values, saliency.values)).toBeLessThan(1e-5);
    const noisy = await attribute(
      vis,
      image,
      'smoothgrad',
      { kind: 'class', index: 2 },
      { noise: 0.2, samples: 4 },
    );
    expect(relativeError(noisy.values, saliency.values)).toBeGreaterThan(1e-4);
    // The noise is seeded (default seed 0: tfjs takes a seed of 0 for "none"), so a run repeats
    // exactly, and another seed draws other noise.
    const smoothOf = (seed?: number) =>
      attribute(
        vis,
        image,
        'smoothgrad',
        { kind: 'class', index: 2 },
        { noise: 0.2, samples: 12, seed },
      );
    expect(Array.from((await smoothOf()).values)).toEqual(Array.from((await smoothOf()).values));
    expect(relativeError((await smoothOf(3)).values, (await smoothOf()).values)).toBeGreaterThan(
      1e-4,
    );
    const picture = attributionImage(noisy);
    expect([picture.width, picture.height]).toEqual([10, 10]);
  });

  it('Grad-CAM on a net whose class depends on one channel highlights where that channel is active', async () => {
    const input8 = tf.input({ shape: [S, S, 1] });
    const c = tf.layers
      .conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'conv' })
      .apply(input8);
    const g = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c);
    const out = tf.layers.dense({ units: 2, name: 'logits' }).apply(g) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input8, outputs: out });
    // Channel 0 = relu(x - 0.5) (bright pixels), channel 1 = relu(0.5 - x); class 0 reads channel 0 only.
    model
      .getLayer('conv')
      .setWeights([tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([-0.5, 0.5])]);
    model.getLayer('logits').setWeights([tf.tensor2d([3, 0, 0, 1], [2, 2]), tf.tensor1d([0, 0])]);
    const vis = new VisModel(model);
    const x = new Float32Array(S * S).fill(0.1);
    for (let i = 0; i < 3; i++) for (let j = 5; j < 8; j++) x[i * S + j] = 0.9;
    const cam = await attribute(vis, tf.tensor3d(x, [S, S, 1]), 'gradcam', {
      kind: 'class',
      index: 0,
    });
    expect(cam.camLayer).toBe('conv');
    // w_0 = 3 / 64, w_1 = 0: cam = (3 / 64) * relu(x - 0.5).
    const expected = Array.from(x, (v) => (3 / 64) * Math.max(v - 0.5, 0));
    expect(relativeError(cam.values, expected)).toBeLessThan(1e-5);
    expect(cam.max).toBeCloseTo((3 / 64) * 0.4, 6);
    expect(cam.min).toBe(0);
  });

  it('errors name the fix', async () => {
    const vis = new VisModel(functionalModel(4, 1));
    const image = tf.zeros([10, 10, 1]) as tf.Tensor3D;
    await expect(
      attribute(vis, image, 'guided', { kind: 'unit', layer: 'c2', channel: 8 }),
    ).rejects.toThrow(/channel 8 is out of range; layer 'c2' has 8 channels/);
    const old = { kind: 'unit', layer: 'c2', filter: 3 } as unknown as AttributionTarget;
    await expect(attribute(vis, image, 'guided', old)).rejects.toMatchObject({
      message: expect.stringMatching(/names its layer's channel as `channel` \(it was `filter`\)/),
      hint: "use { kind: 'unit', layer: 'c2', channel: 3 }",
    });
    await expect(
      attribute(vis, image, 'guided', { kind: 'unit', layer: 'c9', channel: 0 }),
    ).rejects.toThrow(/unknown layer 'c9'/);
    await expect(attribute(vis, image, 'guided', { kind: 'class', index: 3 })).rejects.toThrow(
      /class 3 is out of range/,
    );
    await expect(
      attribute(
        vis,
        image,
        'gradcam',
        { kind: 'unit', layer: 'c1', channel: 0 },
        { camLayer: 'c2' },
      ),
    ).rejects.toThrow(/must be a spatial layer that feeds/);
  });
});
