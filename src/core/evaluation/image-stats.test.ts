import { describe, expect, it } from 'vitest';
import {
  highFrequencyFraction,
  imageStats,
  luminance,
  rimContrast,
  rimWidth,
  saturatedFraction,
} from './image-stats.js';

const image = (h: number, w: number, c: number, f: (y: number, x: number, k: number) => number) => {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = f(y, x, k);
  return out;
};

describe('image statistics', () => {
  it('a constant grey image: nothing saturated, no spectral power', () => {
    expect(
      imageStats(
        image(16, 16, 3, () => 0.5),
        16,
        16,
        3,
      ),
    ).toEqual({
      saturated: 0,
      highFrequency: 0,
    });
  });

  it('a one-pixel checkerboard (Nyquist in both axes): all saturated, all power high', () => {
    const board = image(16, 16, 3, (y, x) => (y + x) % 2);
    const stats = imageStats(board, 16, 16, 3);
    expect(stats.saturated).toBe(1);
    expect(stats.highFrequency).toBeCloseTo(1, 12);
  });

  it('a smooth gradient (two cycles of a cosine over 32 px): no power above 0.25', () => {
    const smooth = image(32, 32, 1, (_, x) => 0.5 + 0.25 * Math.cos((2 * Math.PI * 2 * x) / 32));
    const stats = imageStats(smooth, 32, 32, 1);
    expect(stats.saturated).toBe(0);
    expect(stats.highFrequency).toBeCloseTo(0, 12);
  });

  it('a mixture with a hand-computed split: cos at 2/32 (amp a) plus Nyquist in x (amp b)', () => {
    // A cosine off Nyquist puts (a/2)^2 in each of two bins, one at Nyquist b^2 in one bin:
    // b^2 / (b^2 + a^2 / 2) = 0.01 / (0.01 + 0.02) = 1/3.
    const [a, b] = [0.2, 0.1];
    const mixed = image(
      8,
      32,
      1,
      (_, x) => 0.5 + a * Math.cos((2 * Math.PI * 2 * x) / 32) + b * (x % 2 === 0 ? 1 : -1),
    );
    expect(highFrequencyFraction(luminance(mixed, 1), 8, 32)).toBeCloseTo(1 / 3, 6);
  });

  it('a half-saturated image: half the colour values within 0.02 of 0 or 1', () => {
    // Values 0.01, 0.99, 0 and 1 count; 0.03, 0.97 and 0.5 do not.
    const values = Float32Array.of(0.01, 0.99, 0, 1, 0.03, 0.97, 0.5, 0.5);
    expect(saturatedFraction(values)).toBe(0.5);
    const half = image(4, 4, 3, (y) => (y < 2 ? (y === 0 ? 0 : 1) : 0.5));
    expect(imageStats(half, 4, 4, 3).saturated).toBe(0.5);
  });

  it('luminance weights RGB by Rec. 601', () => {
    expect(Array.from(luminance(Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 3))).toEqual([
      expect.closeTo(0.299, 6),
      expect.closeTo(0.587, 6),
      expect.closeTo(0.114, 6),
    ]);
  });
});

describe('rim contrast', () => {
  it('a black 2 px frame around a white picture: -1; uniform: 0; a white frame: +1', () => {
    const framed = (edge: number, inner: number) =>
      image(28, 28, 3, (y, x) => (Math.min(y, x, 27 - y, 27 - x) < 2 ? edge : inner));
    expect(rimWidth(28, 28)).toBe(2);
    expect(rimContrast(framed(0, 1), 28, 28, 3)).toBeCloseTo(-1, 12);
    expect(rimContrast(framed(0.4, 0.4), 28, 28, 3)).toBeCloseTo(0, 12);
    expect(rimContrast(framed(1, 0), 28, 28, 3)).toBeCloseTo(1, 12);
  });

  it('reads luminance: a red frame (0.299) around black, in a 1 px ring by hand', () => {
    const img = image(6, 6, 3, (y, x, k) => (Math.min(y, x, 5 - y, 5 - x) < 1 && k === 0 ? 1 : 0));
    expect(rimContrast(img, 6, 6, 3, 1)).toBeCloseTo(0.299, 12);
    // A frame only partly dark: 10 of the 20 ring pixels at 0, the rest and the inside at 1.
    const half = image(6, 6, 1, (y, x) => (y === 0 || (x === 0 && y < 5) ? 0 : 1));
    expect(rimContrast(half, 6, 6, 1, 1)).toBeCloseTo(10 / 20 - 1, 12);
  });
});
