import { describe, expect, it } from 'vitest';
import { PRESETS, getPreset } from './presets.js';
import { applyOverrides, overrideFlags } from './setting-options.js';

describe('overrideFlags (the grid title of a run with overridden settings)', () => {
  it('is empty for every preset as it is', () => {
    for (const preset of PRESETS) expect(overrideFlags(preset.settings, preset.settings)).toBe('');
  });

  it('names each changed setting as its CLI flag, leaving steps and size to the title', () => {
    const lucid = getPreset('lucid').settings;
    const changed = applyOverrides(lucid, {
      lr: 0.0125,
      parameterization: 'laplacian-pyramid',
      transforms: 'none',
      steps: 64,
      size: 64,
    });
    expect(overrideFlags(lucid, changed)).toBe(
      '--lr 0.0125 --parameterization laplacian-pyramid --transforms none',
    );
    // An override equal to the preset's value is no change.
    expect(overrideFlags(lucid, applyOverrides(lucid, { lr: 0.05 }))).toBe('');
  });
});
