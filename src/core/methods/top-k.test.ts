import { describe, expect, it } from 'vitest';
import { randomArray } from '../../../test/helpers/random.js';
import { TopKTracker, compareEntries, strongestLocations, type TopEntry } from './top-k.js';

describe('top-k tracker', () => {
  it('equals a brute-force sort of every image’s strongest location, ties broken deterministically', () => {
    const [images, h, w, c, k] = [40, 3, 4, 5, 6];
    // Values from a small set, so ties are everywhere (within an image and across images).
    const maps = Array.from({ length: images }, (_, i) =>
      Array.from(randomArray(h * w * c, i + 1), (v) => Math.round((v + 1) * 2)),
    );
    const forward = new TopKTracker(c, k);
    maps.forEach((m, i) => forward.addImage(i, m, h, w));
    const backward = new TopKTracker(c, k);
    for (let i = images - 1; i >= 0; i--) backward.addImage(i, maps[i], h, w);
    for (let ch = 0; ch < c; ch++) {
      const all: TopEntry[] = maps.map((m, image) => {
        let best = { value: -Infinity, y: 0, x: 0 };
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const v = m[(y * w + x) * c + ch];
            if (v > best.value) best = { value: v, y, x };
          }
        return { image, ...best };
      });
      all.sort((a, b) => b.value - a.value || a.image - b.image);
      expect(forward.lists[ch]).toEqual(all.slice(0, k));
      expect(backward.lists[ch]).toEqual(all.slice(0, k));
    }
  });

  it('orders by value, then image, then y, then x', () => {
    const e = (value: number, image: number, y: number, x: number) => ({ value, image, y, x });
    expect(compareEntries(e(2, 5, 0, 0), e(1, 0, 0, 0))).toBeLessThan(0);
    expect(compareEntries(e(1, 0, 3, 3), e(1, 1, 0, 0))).toBeLessThan(0);
    expect(compareEntries(e(1, 0, 0, 3), e(1, 0, 1, 0))).toBeLessThan(0);
    expect(strongestLocations([1, 5, 5, 2], 2, 1, 2)).toEqual([
      { value: 5, y: 1, x: 0 },
      { value: 5, y: 0, x: 0 },
    ]);
  });
});
