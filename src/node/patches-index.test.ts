/**
 * Scan coverage bookkeeping: ranges finished out of order fold into the prefix once it reaches
 * them, and planning skips covered files and splits runs where the layers they need differ.
 */
import { describe, expect, it } from 'vitest';
import {
  isScanned,
  markScanned,
  planShards,
  type LayerIndex,
  type PatchIndex,
} from './patches-index.js';

const layer = (scanned = 0): LayerIndex => ({ k: 3, scanned, top: [] });

describe('patch index coverage', () => {
  it('folds out-of-order ranges into the prefix', () => {
    const entry = layer();
    markScanned(entry, 8, 12);
    markScanned(entry, 4, 8);
    expect(entry).toMatchObject({ scanned: 0, ranges: [[4, 12]] });
    expect([3, 4, 11, 12].map((i) => isScanned(entry, i))).toEqual([false, true, true, false]);
    markScanned(entry, 16, 20);
    markScanned(entry, 0, 4);
    expect(entry).toMatchObject({ scanned: 12, ranges: [[16, 20]] });
    markScanned(entry, 12, 16);
    expect(entry).toEqual(layer(20));
  });

  it('plans shards of at most `size` files that need the same layers', () => {
    const a = layer(5);
    markScanned(a, 8, 10);
    const index: PatchIndex = {
      version: 1,
      key: '',
      files: [],
      skipped: [],
      layers: { a, b: layer() },
    };
    expect(planShards(index, ['a', 'b'], 12, 4)).toEqual([
      { start: 0, end: 4, layers: ['b'] },
      { start: 4, end: 5, layers: ['b'] },
      { start: 5, end: 8, layers: ['a', 'b'] },
      { start: 8, end: 10, layers: ['b'] },
      { start: 10, end: 12, layers: ['a', 'b'] },
    ]);
    expect(planShards(index, ['a'], 12, 4)).toEqual([
      { start: 5, end: 8, layers: ['a'] },
      { start: 10, end: 12, layers: ['a'] },
    ]);
  });
});
