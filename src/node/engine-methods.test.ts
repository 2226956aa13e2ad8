/**
 * The image methods on the ONNX engine against their TF.js paths (WASM backend), on the
 * embedded model and a sample image: feature maps, deconvnet / guided / saliency for a unit
 * (whole map and a position) and a class, Grad-CAM for a class at a chosen layer, SmoothGrad
 * with a fixed seed, Integrated Gradients, Grad-CAM++, Score-CAM and guided Grad-CAM, and class
 * probabilities. Also the chain rule through a preprocessing that
 * is not the identity (input range [-1, 1]).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { relativeError } from '../../test/helpers/random.js';
import type { AttributionTarget } from '../core/methods/attribution-target.js';
import { attribute, type AttributionMethod } from '../core/methods/attribution.js';
import { featureMaps } from '../core/methods/feature-maps.js';
import type { VisModel } from '../core/models/vis-model.js';
import { initBackend } from './backend.js';
import { classifyFiles } from './classify-files.js';
import { loadImage } from './images.js';
import { OnnxEngine } from './onnx/onnx-engine.js';
import { openModel } from './open-model.js';

const TOLERANCE = 1e-4;
const SAMPLES = ['sneaker', 'ankle-boot', 'bag', 'trouser'].map((s) => `samples/inputs/${s}.png`);

/** Largest |value|: a comparison of all-zero arrays would prove nothing. */
const peak = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs));

let model: VisModel;
let onnx: OnnxEngine;
let image: tf.Tensor3D;
let calls: { activations: () => number; vjp: () => number };

beforeAll(async () => {
  await initBackend('wasm');
  model = await openModel({ quiet: true });
  onnx = await OnnxEngine.create(model, { threads: 1 });
  // The ONNX path must really run (not fall back to TF.js): count the engine's calls.
  const activations = vi.spyOn(onnx, 'activations');
  const vjp = vi.spyOn(onnx, 'vjp');
  calls = { activations: () => activations.mock.calls.length, vjp: () => vjp.mock.calls.length };
  const { height, width, channels } = model.input;
  image = tf.tensor3d(await loadImage(SAMPLES[0], model.input), [height, width, channels]);
});
afterAll(() => {
  image?.dispose();
  onnx?.dispose();
  model?.dispose();
});

beforeEach(() => vi.clearAllMocks());

describe('methods on the ONNX engine give the TF.js values', () => {
  it('feature maps of two layers (raw arrays and per-channel statistics)', async () => {
    const layers = ['block1_conv2', 'block3_conv1'];
    const options = { raw: true, channels: { block3_conv1: [0, 5, 63] } };
    const expected = await featureMaps(model, image, layers, options);
    const actual = await featureMaps(model, image, layers, { ...options, engine: onnx });
    expect([calls.activations(), calls.vjp()]).toEqual([1, 0]);
    expect(actual.map((m) => m.name)).toEqual(layers);
    for (const [i, layer] of actual.entries()) {
      const reference = expected[i];
      expect(layer.raw!.shape).toEqual(reference.raw!.shape);
      expect(peak(reference.raw!.values)).toBeGreaterThan(0);
      expect(relativeError(layer.raw!.values, reference.raw!.values)).toBeLessThan(TOLERANCE);
      expect(layer.channels.map((c) => c.index)).toEqual(reference.channels.map((c) => c.index));
      const stats = (maps: typeof layer.channels) => maps.flatMap((c) => [c.mean, c.min, c.max]);
      expect(relativeError(stats(layer.channels), stats(reference.channels))).toBeLessThan(
        TOLERANCE,
      );
    }
  });

  const targets: [string, AttributionTarget][] = [
    ['a unit (whole map)', { kind: 'unit', layer: 'block2_conv2', channel: 3 }],
    [
      'a unit (strongest position)',
      { kind: 'unit', layer: 'block3_conv1', channel: 5, position: 'max' },
    ],
    [
      'a unit (one position)',
      { kind: 'unit', layer: 'block2_conv1', channel: 7, position: [4, 9] },
    ],
    ['a class', { kind: 'class', index: 7 }],
  ];
  const methods: AttributionMethod[] = ['deconvnet', 'guided', 'saliency'];
  describe.each(methods)('%s', (method) => {
    it.each(targets)('for %s', async (_, target) => {
      const expected = await attribute(model, image, method, target);
      const actual = await attribute(model, image, method, target, { engine: onnx });
      expect(calls.vjp()).toBe(1);
      expect(actual.target).toEqual(expected.target);
      expect(actual.shape).toEqual(expected.shape);
      expect(peak(expected.values)).toBeGreaterThan(0);
      expect(relativeError(actual.values, expected.values)).toBeLessThan(TOLERANCE);
    });
  });

  it('Grad-CAM of a class at a chosen layer and at the default one, and of a unit', async () => {
    const cases: [AttributionTarget, string | undefined][] = [
      [{ kind: 'class', index: 7 }, 'block2_conv2'],
      [{ kind: 'class', index: 7 }, undefined],
      [{ kind: 'unit', layer: 'block3_conv2', channel: 0 }, undefined],
    ];
    for (const [target, camLayer] of cases) {
      const expected = await attribute(model, image, 'gradcam', target, { camLayer });
      vi.clearAllMocks();
      const actual = await attribute(model, image, 'gradcam', target, { camLayer, engine: onnx });
      expect(calls.vjp()).toBe(1);
      expect(actual.camLayer).toBe(expected.camLayer);
      expect(actual.cam!.height).toBe(expected.cam!.height);
      expect(peak(expected.cam!.values)).toBeGreaterThan(0);
      expect(relativeError(actual.cam!.values, expected.cam!.values)).toBeLessThan(TOLERANCE);
      expect(relativeError(actual.values, expected.values)).toBeLessThan(TOLERANCE);
    }
  });

  it('SmoothGrad with a fixed seed (two batches of noisy copies)', async () => {
    const options = { samples: 10, noise: 0.2, seed: 3 };
    for (const target of [targets[0][1], targets[3][1]]) {
      const expected = await attribute(model, image, 'smoothgrad', target, options);
      vi.clearAllMocks();
      const actual = await attribute(model, image, 'smoothgrad', target, {
        ...options,
        engine: onnx,
      });
      expect(calls.vjp()).toBe(2); // 8 + 2 noisy copies
      expect(peak(expected.values)).toBeGreaterThan(0);
      expect(relativeError(actual.values, expected.values)).toBeLessThan(TOLERANCE);
    }
  });

  it.each([
    ['integrated-gradients', { steps: 20 }],
    ['gradcam-plus-plus', {}],
    ['scorecam', { camLayer: 'block2_conv2' }],
    ['guided-gradcam', {}],
  ] as const)('%s of a class and of a unit', async (method, options) => {
    for (const target of [targets[3][1], targets[1][1]]) {
      const expected = await attribute(model, image, method, target, options);
      vi.clearAllMocks();
      const actual = await attribute(model, image, method, target, { ...options, engine: onnx });
      expect(calls.vjp() + calls.activations()).toBeGreaterThan(0);
      expect(actual.camLayer).toBe(expected.camLayer);
      expect(peak(expected.values)).toBeGreaterThan(0);
      expect(relativeError(actual.values, expected.values)).toBeLessThan(TOLERANCE);
    }
  });

  it('class probabilities of a batch of files (predict, evaluate)', async () => {
    const read = async (engine?: OnnxEngine) => {
      const rows: Float32Array[] = [];
      for await (const batch of classifyFiles(model, SAMPLES, { batchSize: 3, engine }))
        rows.push(...batch.map((r) => r.probabilities!));
      return rows;
    };
    const [expected, actual] = [await read(), await read(onnx)];
    expect(calls.activations()).toBe(2); // batches of 3 + 1
    expect(model.hasSoftmax).toBe(true);
    expect(actual).toHaveLength(SAMPLES.length);
    for (const [i, row] of actual.entries()) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(relativeError(row, expected[i])).toBeLessThan(TOLERANCE);
    }
  });
});

describe('the input gradient is chained through preprocessing', () => {
  it('saliency of a class with input range [-1, 1]', async () => {
    const scaled = await openModel({ quiet: true, inputRange: '-1,1' });
    const engine = await OnnxEngine.create(scaled, { threads: 1 });
    const vjp = vi.spyOn(engine, 'vjp');
    try {
      const target: AttributionTarget = { kind: 'class', index: 9 };
      const expected = await attribute(scaled, image, 'saliency', target);
      const actual = await attribute(scaled, image, 'saliency', target, { engine });
      expect(vjp).toHaveBeenCalledTimes(1);
      const unscaled = await attribute(model, image, 'saliency', target);
      // Not the identity: the scaled model's gradient differs from the plain model's.
      expect(relativeError(expected.values, unscaled.values)).toBeGreaterThan(0.01);
      expect(relativeError(actual.values, expected.values)).toBeLessThan(TOLERANCE);
    } finally {
      engine.dispose();
      scaled.dispose();
    }
  });
});
