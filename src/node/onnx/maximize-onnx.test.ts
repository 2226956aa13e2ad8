/**
 * Activation maximization on the ONNX engine against the same run on TF.js (WASM backend): the
 * same seed gives the same scores over 16 steps of the lucid preset (Fourier image, random
 * transforms replayed exactly, redirected ReLU for the first steps) on the embedded model and a
 * width/16 VGG16, for linear objectives (one engine call per step) and non-linear ones
 * (deepdream, diversity: two calls per step). No tensors leak.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVgg } from '../../core/models/architectures/vgg.js';
import { VisModel } from '../../core/models/vis-model.js';
import {
  channel,
  classLogit,
  deepdream,
  diversity,
  scale,
  sum,
  type Objective,
} from '../../core/objectives/objective.js';
import { maximize, type MaximizeResult } from '../../core/optimize/maximize.js';
import { getPreset } from '../../core/optimize/presets.js';
import { applyOverrides } from '../../core/optimize/setting-options.js';
import { standardTransforms, type TransformSpec } from '../../core/transforms/transforms.js';
import { relativeError } from '../../../test/helpers/random.js';
import { initBackend } from '../backend.js';
import { openModel } from '../open-model.js';
import { OnnxEngine } from './onnx-engine.js';

beforeAll(async () => {
  await initBackend('wasm');
});

async function run(
  model: VisModel,
  objectives: Objective[],
  engine?: OnnxEngine,
  transforms?: TransformSpec[],
  steps = 16,
  fuse = true,
  lr?: number,
): Promise<MaximizeResult> {
  const lucid = getPreset('lucid').settings;
  const settings = {
    ...applyOverrides(lucid, { steps, lr }),
    transforms: transforms ?? lucid.transforms,
  };
  let result: MaximizeResult | undefined;
  for await (const frame of maximize(model, objectives, settings, { seed: 5, engine, fuse }))
    result = frame.result ?? result;
  return result!;
}

/** Mean |a - b|. */
const meanDifference = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

/**
 * Float differences (~1e-7 per call) grow over the steps: 1e-3 holds over 16 for the scores.
 * Images: with `meanOnly`, the mean pixel difference only: where the sigmoid saturates,
 * max-pool windows hold equal values, and a one-ulp difference in the network input sends
 * that window's gradient to another pixel, so a few pixels drift apart while the scores and
 * the rest of the image stay equal.
 */
function expectSameRun(
  onnx: MaximizeResult,
  tfjs: MaximizeResult,
  steps = 16,
  tolerance = 1e-3,
  meanOnly = false,
): void {
  expect(onnx.steps).toBe(steps);
  for (const key of ['initial', 'final', 'bestScores'] as const) {
    expect(relativeError(onnx[key], tfjs[key]), key).toBeLessThan(tolerance);
  }
  if (meanOnly) expect(meanDifference(onnx.best.data, tfjs.best.data)).toBeLessThan(5e-3);
  else expect(relativeError(onnx.best.data, tfjs.best.data)).toBeLessThan(tolerance);
  // The run climbed: not two equal runs that did nothing.
  const total = (v: number[]) => v.reduce((a, b) => a + b, 0);
  expect(total(onnx.bestScores)).toBeGreaterThan(total(onnx.initial));
}

describe('maximize on the ONNX engine equals TF.js', () => {
  let embedded: VisModel;
  let engine: OnnxEngine;
  beforeAll(async () => {
    embedded = await openModel({ quiet: true });
    engine = await OnnxEngine.create(embedded, { threads: 1 });
  });
  afterAll(() => {
    engine?.dispose();
    embedded?.dispose();
  });

  // 24 steps: 16 with every ReLU redirected, then the plain rule (redirected only while dead).
  // Both ways to run a step on the engine: fused (image side in the ONNX graph too) and plain
  // (image side on TF.js' tape, chained to the engine's input gradient).
  it.each([
    ['fused', true],
    ['plain', false],
  ] as const)('channels and a class logit of the embedded model (%s step)', async (_, fuse) => {
    const objectives = [channel('block2_conv2', 0), channel('block3_conv2', 0), classLogit(8)];
    const before = tf.memory().numTensors;
    const onnx = await run(embedded, objectives, engine, undefined, 24, fuse);
    expect(tf.memory().numTensors).toBe(before);
    const tfjs = await run(embedded, objectives, undefined, undefined, 24);
    expectSameRun(onnx, tfjs, 24, 1e-3, true);
  });

  // The standard set at its end size (pad 3) at every step: the shrinking set's first steps
  // pad 8 px of 0.5, whose equal-valued max-pool windows split a one-ulp tie differently in
  // the two engines (see the VGG16 case below); the schedule itself is the case above.
  it('non-linear objectives (deepdream, diversity) of the embedded model', async () => {
    const objectives = [0, 1].map((k) =>
      sum(
        channel('block2_conv1', k),
        scale(diversity('block1_conv2'), 0.1),
        scale(deepdream('block1_conv1'), 0.01),
      ),
    );
    const fixed = standardTransforms(28);
    expectSameRun(
      await run(embedded, objectives, engine, fixed),
      await run(embedded, objectives, undefined, fixed),
    );
  });

  // Lucid's constant 0.5 padding makes windows of equal values, whose max-pool gradient goes
  // to the first maximum in both engines; but which of two equal sums is the larger can differ
  // by one ulp between ONNX Runtime's and XNNPACK's convolutions, so padding is left out here.
  it('channels of a width/16 VGG16 (caffe preprocessing, jitter only)', async () => {
    const vgg = new VisModel(
      buildVgg('vgg16', { includeTop: false, size: 64, widthDivisor: 16, seed: 3 }),
      {
        input: { range: [0, 255], preprocess: 'caffe' },
      },
    );
    const vggEngine = await OnnxEngine.create(vgg, { threads: 2 });
    try {
      const objectives = [channel('block3_conv1', 2), channel('block5_conv3', 7)];
      const jitter: TransformSpec[] = [{ kind: 'jitter', pixels: 4 }];
      // The rate the lucid preset ran at 64 px before issue 16 (0.05 x 128 / 64). At 0.05 the
      // engines agree to 4 digits for 12 steps, then block3_conv1:2's runs part (4% by step
      // 16): a float-order difference amplified, which this test cannot tell from a bug.
      const tfjs = await run(vgg, objectives, undefined, jitter, 16, true, 0.1);
      expectSameRun(await run(vgg, objectives, vggEngine, jitter, 16, true, 0.1), tfjs);
      expectSameRun(await run(vgg, objectives, vggEngine, jitter, 16, false, 0.1), tfjs);
    } finally {
      vggEngine.dispose();
      vgg.dispose();
    }
  });
});
