/**
 * `attribute`'s method flags come from the registry's records: one flag per option, with the
 * record's default, range checks that name the flag, and refusals of options none of the
 * chosen methods reads (a wrapper reads its base method's too).
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { ConvscopeError } from '../core/errors.js';
import { ATTRIBUTION_RECORDS } from '../core/methods/attribution/registry.js';
import { kebab } from '../core/optimize/setting-options.js';
import { addMethodOptions, attributeFlags, methodOptionValues } from './attribute-flags.js';

/** The error `run` throws, as message and hint. */
function refusal(run: () => unknown): { message: string; hint?: string } {
  try {
    run();
  } catch (error) {
    const { message, hint } = error as ConvscopeError;
    return { message, hint };
  }
  throw new Error('expected a refusal');
}

describe('attribute method flags', () => {
  it('adds one flag per method option (but the shared --seed), with its default', () => {
    const command = addMethodOptions(new Command('attribute'));
    const flags = command.options.map((o) => o.long);
    const keys = new Set(ATTRIBUTION_RECORDS.flatMap((r) => r.options.filter((o) => !o.shared)));
    expect(flags).toEqual([...new Set([...keys].map((o) => `--${kebab(o.key)}`))]);
    expect(flags).toEqual(
      expect.arrayContaining(['--samples', '--noise', '--cam-layer', '--steps', '--baseline']),
    );
    command.parse([], { from: 'user' });
    expect(command.opts()).toMatchObject({ samples: '25', noise: '0.15', steps: '50' });
  });

  it('reads values with the records checks, naming the flag', () => {
    expect(methodOptionValues({ samples: '4', steps: '9', baseline: 'mean' })).toMatchObject({
      samples: 4,
      steps: 9,
      baseline: 'mean',
    });
    expect(() => methodOptionValues({ steps: '0' })).toThrow(
      "--steps must be a whole number >= 1, got '0'",
    );
    expect(() => methodOptionValues({ baseline: 'white' })).toThrow(
      "--baseline must be one of black, blur, noise, mean, got 'white'",
    );
  });

  it('refuses options no chosen method reads; a wrapper reads its base method options', () => {
    expect(refusal(() => attributeFlags({}, ['gradcam'], new Set(['steps', 'baseline'])))).toEqual({
      message: '--steps, --baseline apply to integrated-gradients only, and --method is gradcam',
      hint: 'add integrated-gradients to --method, or leave --steps, --baseline out',
    });
    expect(() => attributeFlags({ camLayer: 'c1' }, ['smoothgrad'])).toThrow(
      "--cam-layer is Grad-CAM's layer; smoothgrad has none",
    );
    // SmoothGrad of Grad-CAM takes Grad-CAM's layer, also as --layer without --filters.
    const smoothCam = { base: 'gradcam', layer: 'c1', class: '0' };
    expect(attributeFlags(smoothCam, ['smoothgrad', 'scorecam'])).toEqual({ camLayer: 'c1' });
    expect(
      attributeFlags({ base: 'integrated-gradients' }, ['smoothgrad'], new Set(['steps'])),
    ).toEqual({ camLayer: undefined });
  });
});
