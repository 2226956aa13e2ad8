/**
 * Guards issue 16's fix on the embedded model (28 px): the default preset runs Adam at Lucid's
 * rate, 0.05, at every size, and its images stay mostly unclipped; the rate the default used
 * before (scaled up by 128 / 28 below 128 px) clips most colour values of the same units.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { saturatedFraction } from '../src/core/evaluation/image-stats.js';
import type { VisModel } from '../src/core/models/vis-model.js';
import { channel } from '../src/core/objectives/objective.js';
import { effectiveStepRule, maximize, type MaximizeResult } from '../src/core/optimize/maximize.js';
import { DEFAULT_PRESET, getPreset } from '../src/core/optimize/presets.js';
import type { OptimizationSettings } from '../src/core/optimize/settings.js';
import { initBackend } from '../src/node/backend.js';
import { openModel } from '../src/node/open-model.js';

let model: VisModel;
beforeAll(async () => {
  await initBackend('wasm');
  model = await openModel({});
});

// 128: the default's transforms shrink over the run, so a short run stays in its large views.
const STEPS = 128;
const objectives = () => [channel('block2_conv2', 0), channel('block2_conv2', 1)];

async function saturation(settings: OptimizationSettings): Promise<number> {
  let result: MaximizeResult | undefined;
  for await (const frame of maximize(model, objectives(), settings, { seed: 1 })) {
    if (frame.result) result = frame.result;
  }
  return saturatedFraction(result!.best.data);
}

describe('the default preset at small sizes', () => {
  it("runs Lucid's rate at every size", () => {
    const settings = getPreset(DEFAULT_PRESET).settings;
    for (const side of [28, 64, 128, 224]) expect(effectiveStepRule(settings, side).lr).toBe(0.05);
  });

  it('clips far fewer colour values than the scaled-up rate it replaced', async () => {
    const settings = { ...getPreset(DEFAULT_PRESET).settings, steps: STEPS };
    const scaled = { ...settings, stepRule: { ...settings.stepRule, lr: (0.05 * 128) / 28 } };
    const now = await saturation(settings);
    const before = await saturation(scaled);
    expect(now).toBeLessThan(0.4);
    expect(before).toBeGreaterThan(now + 0.2);
  });
});
