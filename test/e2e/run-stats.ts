/**
 * Checks a workbench run's manifest statistics (issue 16) against an independent computation:
 * each item's saturated and high-frequency fractions recomputed in Node from its 8-bit PNG.
 */
import sharp from 'sharp';
import { expect } from 'vitest';
import { imageStats } from '../../src/core/evaluation/image-stats.js';

interface StatsItem {
  file: string;
  activation: { best: number };
  stats: { saturated: number; highFrequency: number; objective: number };
}

/**
 * The PNGs are one-channel-gray models' images upscaled by pixel repetition for viewing; the
 * worker measured the float images, so they agree up to the 8-bit rounding. That rounding adds
 * white noise of power 1/(12 * 255^2) per pixel, most of it above 0.25 cycles/px: relative to
 * the image's own variance it moves the high-frequency share of a nearly flat image (early in
 * a run) by up to about twice that ratio, so the bound allows for it.
 */
export async function expectStatsOfPngs(
  manifest: { size: number; items: StatsItem[] },
  files: Record<string, Uint8Array>,
): Promise<void> {
  const size = manifest.size;
  for (const item of manifest.items) {
    const { data, info } = await sharp(files[item.file])
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const k = info.width / size;
    const pixels = Float32Array.from({ length: size * size }, (_, p) => {
      const [y, x] = [Math.floor(p / size), p % size];
      return data[y * k * info.width + x * k] / 255;
    });
    const png = imageStats(pixels, size, size, 1);
    const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
    const variance = pixels.reduce((a, v) => a + (v - mean) ** 2, 0) / pixels.length;
    const rounding = 1 / (12 * 255 ** 2) / Math.max(variance, 1e-12);
    expect(Math.abs(item.stats.saturated - png.saturated)).toBeLessThan(0.03);
    expect(Math.abs(item.stats.highFrequency - png.highFrequency)).toBeLessThan(
      0.01 + 2 * rounding,
    );
    expect(item.stats.objective).toBe(item.activation.best);
    expect(item.stats).toHaveProperty('objectiveWithTransforms', expect.any(Number));
  }
}
