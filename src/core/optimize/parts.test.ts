/**
 * `maximize` takes its parts: a parameterization composed from any spatial basis and colour
 * stage, a step rule, a transform function and post-step operations of the caller's own are
 * the ones that run; settings give the same run as `partsFromSettings(settings)`; Yosinski's
 * operations on an image without a pixel variable are refused with the fix.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { smallModel } from '../../../test/helpers/small-conv-model.js';
import { channel } from '../objectives/objective.js';
import { colourStage } from '../parameterizations/colour-stage.js';
import { composeImage } from '../parameterizations/compose-image.js';
import { fourierBasis } from '../parameterizations/fourier.js';
import { yosinskiOperations } from '../regularizers/yosinski.js';
import { lastResult } from '../run/last-result.js';
import { maximize, partsFromSettings, type MaximizeParts } from './maximize.js';
import { checkSettings } from './parts.js';
import { getPreset } from './presets.js';
import { applyOverrides } from './setting-options.js';
import { createStepRule } from './step-rules.js';

const settings = (preset: string, steps: number) =>
  applyOverrides(getPreset(preset).settings, { steps });

beforeAll(async () => {
  await initBackend('wasm');
});

describe('maximize with parts', () => {
  it('gives the same images for settings and partsFromSettings(settings)', async () => {
    const s = settings('lucid', 12);
    const [a, b] = [
      await lastResult(maximize(smallModel(), [channel('conv2', 1)], s, { seed: 4 })),
      await lastResult(
        maximize(smallModel(), [channel('conv2', 1)], partsFromSettings(s), { seed: 4 }),
      ),
    ];
    expect(Buffer.from(b.best.data.buffer).equals(Buffer.from(a.best.data.buffer))).toBe(true);
  });

  it("runs the caller's parameterization, step rule and transform", async () => {
    let ruleSteps = 0;
    let views = 0;
    const parts: MaximizeParts = {
      ...partsFromSettings(settings('lucid', 20)),
      // A combination no preset has: a 1/f spectrum clipped around grey instead of a sigmoid.
      parameterization: ({ shape, seed }) =>
        composeImage(
          shape,
          fourierBasis(shape, { sd: 0.01, seed }),
          colourStage([1, shape.height, shape.width, shape.channels], {
            decorrelate: true,
            range: 'clip',
          }),
          { kind: 'fourier-clipped' },
        ),
      stepRule: (batch) => {
        const rule = createStepRule({ kind: 'adam', lr: 0.05 }, batch);
        return { ...rule, apply: (v, g, step) => (ruleSteps++, rule.apply(v, g, step)) };
      },
      transform: { apply: (images) => (views++, tf.reverse(images, 2) as tf.Tensor4D) },
    };
    const result = await lastResult(
      maximize(smallModel(), [channel('conv1', 2)], parts, { seed: 1 }),
    );
    expect(ruleSteps).toBe(20);
    expect(views).toBeGreaterThanOrEqual(20); // each step, plus the end's views of the best image
    expect(result.bestScores[0]).toBeGreaterThan(result.initial[0] + 0.05);
    expect(Math.min(...result.best.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...result.best.data)).toBeLessThanOrEqual(1);
  });

  it("runs the caller's post-step operations on a pixel image, each step", async () => {
    const seen: number[] = [];
    const parts: MaximizeParts = {
      ...partsFromSettings(settings('keras', 6)),
      // Zero the centred image after every step: the image stays the centre (grey).
      postStep: [{ name: 'reset', apply: (x, _g, step) => (seen.push(step), tf.zerosLike(x)) }],
    };
    const result = await lastResult(
      maximize(smallModel(), [channel('conv1', 0)], parts, { seed: 2 }),
    );
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(result.best.data)).toEqual(new Set([0.5]));
  });

  it("refuses Yosinski's operations on an image without a pixel variable", async () => {
    const s = applyOverrides(getPreset('yosinski-3').settings, { parameterization: 'fourier' });
    await expect(
      lastResult(maximize(smallModel(), [channel('conv1', 0)], s, { seed: 0 })),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/operations \(decay, blur\) act on a pixel image/),
      hint: expect.stringMatching(/--parameterization pixel-linear/),
    });
  });

  it('builds the operations in the paper order and checks their values', () => {
    const on = { decay: 0.1, blurRadius: 1, blurEvery: 4, normPct: 10, contribPct: 20 };
    expect(yosinskiOperations(on).map((o) => o.name)).toEqual([
      'decay',
      'blur',
      'clip-norm',
      'clip-contribution',
    ]);
    expect(() => yosinskiOperations({ ...on, normPct: 120 })).toThrow(/percentile must be 0-100/);
    expect(() => checkSettings(settings('yosinski-3', 4), 3)).not.toThrow();
    // Before a run is sharded: the same refusal as the loop's, from the settings alone.
    const onFourier = applyOverrides(getPreset('yosinski-3').settings, {
      parameterization: 'fourier',
    });
    expect(() => checkSettings(onFourier, 3)).toThrow(
      /act on a pixel image, not on a 'fourier-decorrelated'/,
    );
    expect(() => yosinskiOperations({ ...on, decay: 2 })).toThrow(/decay must be between 0 and 1/);
  });
});
