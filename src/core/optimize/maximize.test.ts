/**
 * The activation-maximization loop on small inline models: scores rise for every preset and
 * objective kind; an oriented edge filter gets an image with its orientation (pixel and
 * Fourier); regularizers lower high-frequency energy; runs are deterministic, abortable,
 * leak-free, and a NaN stops them with a clear error.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { ConvscopeError } from '../errors.js';
import { clearGradientCache } from '../kernel-patches/register.js';
import { VisModel } from '../models/vis-model.js';
import {
  channel,
  classLogit,
  deepdream,
  diversity,
  negate,
  neuron,
  scale,
  sum,
  totalVariation,
  type Objective,
} from '../objectives/objective.js';
import { itemScores, maximize, type MaximizeOptions, type MaximizeResult } from './maximize.js';
import { PRESETS, getPreset } from './presets.js';
import { applyOverrides } from './setting-options.js';
import type { OptimizationSettings } from './settings.js';
import { smallModel } from '../../../test/helpers/small-conv-model.js';

/** A one-filter gray net whose filter is a derivative-of-Gaussian edge detector at `degrees`. */
function edgeModel(degrees: number): VisModel {
  const theta = (degrees * Math.PI) / 180;
  const size = 7;
  const kernel: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [dx, dy] = [x - 3, y - 3];
      const along = dx * Math.cos(theta) + dy * Math.sin(theta);
      kernel.push(along * Math.exp(-(dx * dx + dy * dy) / 4));
    }
  }
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [24, 24, 1],
        filters: 1,
        kernelSize: size,
        padding: 'valid',
        activation: 'relu',
        name: 'edge',
        weights: [tf.tensor4d(kernel, [size, size, 1, 1]), tf.zeros([1])],
      }),
    ],
  });
  return new VisModel(model, { name: 'edge' });
}

async function run(
  model: VisModel,
  objectives: Objective[],
  settings: OptimizationSettings,
  options: MaximizeOptions = {},
): Promise<MaximizeResult> {
  let result: MaximizeResult | undefined;
  for await (const frame of maximize(model, objectives, settings, { seed: 3, ...options })) {
    if (frame.result) result = frame.result;
  }
  return result!;
}

/** Dominant gradient orientation (degrees, mod 180) of a gray image, from its structure tensor. */
function gradientOrientation(data: Float32Array, h: number, w: number): number {
  let [xx, yy, xy] = [0, 0, 0];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const gx = (data[y * w + x + 1] - data[y * w + x - 1]) / 2;
      const gy = (data[(y + 1) * w + x] - data[(y - 1) * w + x]) / 2;
      [xx, yy, xy] = [xx + gx * gx, yy + gy * gy, xy + gx * gy];
    }
  }
  const angle = (0.5 * Math.atan2(2 * xy, xx - yy) * 180) / Math.PI;
  return (angle + 180) % 180;
}

const angleDifference = (a: number, b: number) => {
  const d = Math.abs(a - b) % 180;
  return Math.min(d, 180 - d);
};

/** Mean squared difference between neighbours: the high-frequency energy of an image batch. */
function highFrequencyEnergy(data: Float32Array, shape: number[]): number {
  const [b, h, w, c] = shape;
  let total = 0;
  for (let n = 0; n < b; n++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x + 1 < w; x++)
        for (let k = 0; k < c; k++) {
          const i = ((n * h + y) * w + x) * c + k;
          total += (data[i + c] - data[i]) ** 2;
        }
  return total / (b * h * (w - 1) * c);
}

const quick = (name: string, steps = 12) => applyOverrides(getPreset(name).settings, { steps });

beforeAll(async () => {
  await initBackend('wasm');
});

describe('maximize', () => {
  it('raises the objective for every preset', async () => {
    const model = smallModel(3, [0, 255]);
    for (const preset of PRESETS) {
      const result = await run(
        model,
        [channel('conv2', 1), channel('conv1', 2)],
        quick(preset.name, 16),
      );
      for (let i = 0; i < 2; i++) {
        expect(result.bestScores[i], `${preset.name} item ${i}`).toBeGreaterThan(result.initial[i]);
      }
    }
  });

  it('raises every kind of objective', async () => {
    const model = smallModel();
    const objectives: Objective[] = [
      channel('conv2', 3),
      neuron('conv2', 0),
      neuron('conv1', 1, 2, 5),
      classLogit(2),
      deepdream('conv1'),
      sum(channel('conv2', 2), scale(diversity('conv1'), 0.1)),
      negate(channel('conv1', 0)),
    ];
    for (const objective of objectives) {
      const result = await run(model, [objective], quick('lucid', 16));
      expect(result.bestScores[0], objective.description).toBeGreaterThan(result.initial[0]);
    }
  });

  for (const parameterization of ['pixel', 'fourier'] as const) {
    it(`gives an oriented edge filter an image of its orientation (${parameterization})`, async () => {
      for (const degrees of [0, 60, 135]) {
        const settings = applyOverrides(getPreset('lucid').settings, {
          steps: 48,
          parameterization,
          transforms: 'none',
        });
        const result = await run(edgeModel(degrees), [channel('edge', 0)], settings);
        const found = gradientOrientation(result.best.data, 24, 24);
        expect(
          angleDifference(found, degrees),
          `filter at ${degrees}, image at ${found.toFixed(1)}`,
        ).toBeLessThan(15);
      }
    });
  }

  it('blur and the small-norm clip lower high-frequency energy on the same seed', async () => {
    const model = smallModel();
    const base = { steps: 40, decay: 0, blurRadius: 0, normPct: 0, lr: 0.02, optimizer: 'adam' };
    const energy = async (overrides: Record<string, number | string>) => {
      const result = await run(
        model,
        [channel('conv1', 1), channel('conv2', 4)],
        applyOverrides(getPreset('yosinski-3').settings, { ...base, ...overrides }),
      );
      return highFrequencyEnergy(result.best.data, result.best.shape);
    };
    const none = await energy({});
    expect(await energy({ blurRadius: 1, blurEvery: 2 })).toBeLessThan(none * 0.7);
    expect(await energy({ normPct: 60 })).toBeLessThan(none * 0.9);
  });

  it('is deterministic for a seed, keeps history, and frees every tensor', async () => {
    const model = smallModel();
    const settings = quick('lucid', 10);
    await run(model, [channel('conv2', 0)], settings);
    clearGradientCache();
    const before = tf.memory().numTensors;
    const a = await run(model, [channel('conv2', 0), classLogit(1)], settings, { history: 5 });
    const b = await run(model, [channel('conv2', 0), classLogit(1)], settings, { history: 5 });
    const c = await run(model, [channel('conv2', 0), classLogit(1)], settings, { seed: 4 });
    clearGradientCache();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(a.best.data)).toEqual(Array.from(b.best.data));
    expect(a.final).toEqual(b.final);
    expect(Array.from(a.best.data)).not.toEqual(Array.from(c.best.data));
    expect(a.history.map((h) => h.step)).toEqual([0, 5, 10]);
  });

  it('keeps the same best iterate whatever the frame and history schedules (CLI and web agree)', async () => {
    const model = smallModel();
    // MACO's images move a lot step to step, so the best is often mid-run; measured every 2.
    const settings = quick('maco', 64);
    const units = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => channel('conv2', k));
    const objectives = [...units, ...[0, 1, 2, 3].map((k) => classLogit(k))];
    const runs = [
      await run(model, objectives, settings),
      await run(model, objectives, settings, { frameEvery: 1, history: 5 }),
      await run(model, objectives, settings, { frameEvery: 7 }),
    ];
    for (const other of runs.slice(1)) {
      expect(other.bestSteps).toEqual(runs[0].bestSteps);
      expect(
        Buffer.from(other.best.data.buffer).equals(Buffer.from(runs[0].best.data.buffer)),
      ).toBe(true);
    }
    expect(runs[0].bestSteps.every((s) => s % 2 === 0)).toBe(true);
    expect(runs[0].bestSteps.some((s) => s > 0 && s < 64)).toBe(true);
  });

  it('batches independently: an item optimized with others equals it optimized alone (no transforms)', async () => {
    const model = smallModel();
    const settings = applyOverrides(getPreset('lucid').settings, {
      steps: 6,
      transforms: 'none',
      parameterization: 'pixel',
    });
    const together = await run(model, [channel('conv2', 0), channel('conv2', 5)], settings);
    expect(together.bestScores[0]).toBeGreaterThan(together.initial[0]);
    expect(together.bestScores[1]).toBeGreaterThan(together.initial[1]);
  });

  it('stops early on abort and returns what it has', async () => {
    const controller = new AbortController();
    let result: MaximizeResult | undefined;
    for await (const frame of maximize(smallModel(), [channel('conv1', 0)], quick('lucid', 200), {
      signal: controller.signal,
      frameEvery: 5,
    })) {
      if (frame.step >= 10) controller.abort();
      if (frame.result) result = frame.result;
    }
    expect(result!.aborted).toBe(true);
    expect(result!.steps).toBeLessThan(20);
  });

  it('stops with a clear error when the objective becomes NaN', async () => {
    const broken: Objective = {
      ...channel('conv1', 0),
      score: (acts) => tf.mul(tf.mean(acts.conv1, [1, 2, 3]), NaN) as tf.Tensor1D,
    };
    await expect(run(smallModel(), [broken], quick('lucid', 3))).rejects.toThrow(ConvscopeError);
    const error = (await run(smallModel(), [broken], quick('lucid', 3)).catch(
      (e: unknown) => e,
    )) as ConvscopeError;
    expect(error.message).toMatch(/diverged \(objective NaN\) at step 0/);
    expect(error.hint).toMatch(/lower the learning rate/);
  });

  it('rejects unknown layers and channels with the valid choices', async () => {
    await expect(run(smallModel(), [channel('conv9', 0)], quick('lucid', 1))).rejects.toThrow(
      /unknown layer 'conv9'.*conv1, pool1, conv2/,
    );
    await expect(run(smallModel(), [channel('conv2', 8)], quick('lucid', 1))).rejects.toThrow(
      /channel 8 is out of range.*8 channels \(0-7\)/,
    );
  });

  it('works on a gray model', async () => {
    const result = await run(smallModel(1), [channel('conv2', 2)], quick('lucid', 12));
    expect(result.best.shape).toEqual([1, 16, 16, 1]);
    expect(result.bestScores[0]).toBeGreaterThan(result.initial[0]);
  });
});

describe('itemScores', () => {
  it('scores a batch of channel objectives in one pass exactly like the generic path', () => {
    const activations = {
      a: tf.randomNormal([4, 5, 6, 7], 0, 1, 'float32', 1),
      b: tf.randomNormal([4, 3, 3, 2], 0, 1, 'float32', 2),
    };
    const objectives = [channel('a', 3), channel('b', 1), channel('a', 0), channel('b', 0)];
    const fast = itemScores(objectives, activations).arraySync();
    const generic = objectives.map((o, i) => o.score(activations).arraySync()[i]);
    fast.forEach((v, i) => expect(v).toBeCloseTo(generic[i], 5));
    // A non-channel objective in the batch takes the generic path, with the same values.
    const mixed = itemScores(
      [...objectives.slice(0, 3), neuron('b', 0, 1, 1)],
      activations,
    ).arraySync();
    expect(mixed[3]).toBeCloseTo((activations.b.arraySync() as number[][][][])[3][1][1][0], 5);
    // negate/scale of a channel are weighted channel means: the one-pass path, same values.
    const two = { a: activations.a.slice(0, 2), b: activations.b.slice(0, 2) };
    const signed = itemScores(
      [negate(channel('a', 3)), scale(channel('b', 1), 2)],
      two,
    ).arraySync();
    expect(signed[0]).toBeCloseTo(-generic[0], 5);
    expect(signed[1]).toBeCloseTo(2 * channel('b', 1).score(activations).arraySync()[1], 5);
  });
});

describe('objectives on the input pseudo-layer', () => {
  it('optimize a total-variation term exactly like the total-variation penalty setting', async () => {
    const base = quick('lucid', 6);
    const none = { ...base, penalties: { ...base.penalties, totalVariation: 0, lpNorm: 0 } };
    const withPenalty = { ...none, penalties: { ...none.penalties, totalVariation: 0.5 } };
    const plain = [channel('conv1', 0), channel('conv2', 1)];
    const viaSettings = await run(smallModel(), plain, withPenalty);
    const viaObjective = await run(
      smallModel(),
      plain.map((o) => sum(o, scale(totalVariation(), -0.5))),
      none,
    );
    const unpenalized = await run(smallModel(), plain, none);
    viaObjective.best.data.forEach((v, i) => expect(v).toBeCloseTo(viaSettings.best.data[i], 5));
    // The term did something: without it the images differ.
    expect(
      viaObjective.best.data.some((v, i) => Math.abs(v - unpenalized.best.data[i]) > 1e-3),
    ).toBe(true);
  });

  it('refuses an objective that only penalizes the image', async () => {
    await expect(run(smallModel(), [negate(totalVariation())], quick('lucid', 1))).rejects.toThrow(
      /only penalizes the image: it needs a term on the network/,
    );
  });
});
