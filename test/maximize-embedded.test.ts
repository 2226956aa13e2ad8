/**
 * The score-rises property on the embedded model itself: for every preset, a few steps raise
 * the objective of filters in each block above its value on the starting image.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { VisModel } from '../src/core/models/vis-model.js';
import { channel } from '../src/core/objectives/objective.js';
import { maximize, type MaximizeResult } from '../src/core/optimize/maximize.js';
import { PRESETS } from '../src/core/optimize/presets.js';
import { applyOverrides } from '../src/core/optimize/setting-options.js';
import { initBackend } from '../src/node/backend.js';
import { openModel } from '../src/node/open-model.js';

let model: VisModel;
beforeAll(async () => {
  await initBackend('wasm');
  model = await openModel({});
});

describe('maximize on the embedded model', () => {
  for (const preset of PRESETS) {
    // lucid-exact pads 12 px and jitters 8 at 28 px too, and lucid starts at 8 and 5, so the
    // network sees a shrunk image and the plain image's objective first falls
    // (block3_conv1:0 passes its start at step 44).
    const steps = preset.name.startsWith('lucid') ? 48 : 12;
    it(`raises the objective within ${steps} steps: ${preset.name}`, async () => {
      const objectives = [
        channel('block1_conv2', 1),
        channel('block2_conv1', 3),
        channel('block3_conv1', 0),
      ];
      let result: MaximizeResult | undefined;
      const settings = applyOverrides(preset.settings, { steps });
      for await (const frame of maximize(model, objectives, settings, { seed: 2 })) {
        if (frame.result) result = frame.result;
      }
      for (const [i, objective] of objectives.entries()) {
        expect(result!.bestScores[i], objective.description).toBeGreaterThan(result!.initial[i]);
      }
    });
  }
});
