/**
 * The page's manifest while a run goes on (no result from the worker yet): activations from the
 * recorded frames (first, newest, best and its step), statistics of the newest images, the
 * CLI's file and history names, and no settings until the worker reports them.
 */
import { describe, expect, it } from 'vitest';
import { channelItems } from '../../../src/core/run/run-items.js';
import type { Rgba } from '../bridge/protocol.js';
import { runManifest, type RunRecord } from './run-manifest.js';

/** A 4 x 4 image of one gray level. */
const flat = (level: number): Rgba => ({
  width: 4,
  height: 4,
  data: new Uint8ClampedArray(64).map((_, i) => (i % 4 === 3 ? 255 : level)),
});

describe('runManifest before the result', () => {
  it('takes the activations and statistics from the frames', () => {
    const items = channelItems('conv1', 4, '1,3').map((item) => ({ ...item, caption: 'x' }));
    const run: RunRecord = {
      model: 'tiny',
      layer: 'conv1',
      preset: 'lucid',
      seed: 1,
      items,
      frames: [
        { step: 0, scores: [0.5, 2], images: [flat(0), flat(0)] },
        { step: 4, scores: [1.5, 1], images: [flat(0), flat(0)] },
        { step: 8, scores: [1.25, 0.5], images: [flat(128), flat(255)] },
      ],
      backend: { backend: 'wasm', threads: 2, notes: [] },
    };
    const manifest = runManifest(run, 'test');
    expect(manifest).toMatchObject({ steps: 8, aborted: true, workers: 1, engine: 'tfjs' });
    expect(manifest).not.toHaveProperty('settings');
    expect(manifest).not.toHaveProperty('grid');
    const [a, b] = manifest.items;
    expect(a.file).toBe('conv1_1.png');
    expect(a.activation).toEqual({ initial: 0.5, final: 1.25, best: 1.5 });
    expect([a.bestStep, b.bestStep]).toEqual([4, 0]);
    expect(b.history!.map((h) => h.file)).toEqual([
      'history/conv1_3_step00000.png',
      'history/conv1_3_step00004.png',
      'history/conv1_3_step00008.png',
    ]);
    // Mid-gray is not saturated; white is (every colour value within 0.02 of 1). Flat: no high frequencies.
    expect([a.stats.saturated, b.stats.saturated]).toEqual([0, 1]);
    expect([a.stats.highFrequency, b.stats.highFrequency]).toEqual([0, 0]);
    expect(a.stats.objective).toBe(1.5);
  });
});
