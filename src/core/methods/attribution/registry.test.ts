/**
 * The registry's records are well formed (unique names, a paper, defaults their own checks
 * accept), unknown names and bad options are refused with the fix, and a method that needs
 * TF.js refuses another engine before doing any work.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../node/backend.js';
import type { NetworkEngine } from '../../engines/network-engine.js';
import type { VisModel } from '../../models/vis-model.js';
import { ATTRIBUTION_METHODS, ATTRIBUTION_RECORDS, attributionRecord } from './registry.js';
import { runMethod, settle, type AttributionRecord } from './method-record.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('attribution registry', () => {
  it('lists every method once, each with a paper, a display kind and defaults it accepts', () => {
    // The first five in their old order (`--method all`'s columns), each name once.
    expect(ATTRIBUTION_METHODS.slice(0, 5)).toEqual([
      'deconvnet',
      'guided',
      'saliency',
      'smoothgrad',
      'gradcam',
    ]);
    expect(ATTRIBUTION_METHODS).toEqual(
      expect.arrayContaining([
        'integrated-gradients',
        'gradcam-plus-plus',
        'scorecam',
        'guided-gradcam',
      ]),
    );
    expect(new Set(ATTRIBUTION_METHODS).size).toBe(ATTRIBUTION_METHODS.length);
    for (const record of ATTRIBUTION_RECORDS) {
      expect(record.paper, record.name).toMatch(/ (19|20)\d\d, /);
      expect(['signed', 'magnitude', 'heat']).toContain(record.display);
      const defaults = settle(record, {});
      for (const option of record.options) expect(defaults[option.key]).toBe(option.default);
    }
    expect(ATTRIBUTION_RECORDS.filter((r) => !r.interactive).map((r) => r.name)).toEqual([
      'smoothgrad',
    ]);
  });

  it('refuses unknown methods and bad option values, naming the choices or the range', () => {
    try {
      attributionRecord('magic');
    } catch (error) {
      expect((error as { hint: string }).hint).toBe(
        `use one of: ${ATTRIBUTION_METHODS.join(', ')}`,
      );
    }
    expect(() => attributionRecord('magic')).toThrow("unknown attribution method 'magic'");
    const ig = attributionRecord('integrated-gradients');
    expect(settle(ig, { steps: '12', baseline: 'blur' })).toMatchObject({
      steps: 12,
      baseline: 'blur',
    });
    expect(() => settle(ig, { steps: 2.5 })).toThrow(
      "integrated-gradients's steps must be a whole number >= 1, got '2.5'",
    );
    expect(() => settle(ig, { baseline: 'white' })).toThrow(
      "integrated-gradients's baseline must be one of black, blur, noise, mean, got 'white'",
    );
    expect(() => settle(attributionRecord('smoothgrad'), { noise: -1 })).toThrow(/>= 0/);
  });

  it('a method that needs TF.js refuses another engine, with the fix', async () => {
    let ran = false;
    const record: AttributionRecord = {
      ...attributionRecord('saliency'),
      name: 'tfjs-only',
      needsTfjs: 'it differentiates a custom op',
      run: async () => {
        ran = true;
        return { values: tf.zeros([1, 1, 1, 1]) };
      },
    };
    const engine = { name: 'onnx' } as NetworkEngine;
    const call = {
      model: {} as VisModel,
      images: tf.zeros([1, 2, 2, 1]) as tf.Tensor4D,
      target: { kind: 'class', index: 0 } as const,
      seed: 0,
      given: {},
    };
    await expect(runMethod(record, { ...call, engine })).rejects.toMatchObject({
      message: 'tfjs-only runs on TF.js only: it differentiates a custom op',
      hint: 'use --engine tfjs for tfjs-only',
    });
    expect(ran).toBe(false);
    await runMethod(record, call);
    expect(ran).toBe(true);
  });
});
