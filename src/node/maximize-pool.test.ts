import { describe, expect, it } from 'vitest';
import type { MaximizeResult } from '../core/optimize/maximize.js';
import { joinResults, shardRanges } from './maximize-pool.js';

const result = (values: number[], steps: number[]): MaximizeResult => ({
  best: { data: Float32Array.from(values), shape: [values.length, 1, 1, 1] },
  initial: values.map((v) => v - 1),
  final: values,
  bestScores: values,
  bestSteps: values.map(() => 4),
  history: steps.map((step) => ({
    step,
    images: {
      data: Float32Array.from(values.map((v) => v * step)),
      shape: [values.length, 1, 1, 1],
    },
    scores: values.map((v) => v + step),
  })),
  steps: 4,
  aborted: false,
  seconds: 1,
});

describe('maximize pool helpers', () => {
  it('cuts items into contiguous shards that differ by at most one', () => {
    expect(shardRanges(24, 2)).toEqual([
      [0, 12],
      [12, 24],
    ]);
    expect(shardRanges(5, 3)).toEqual([
      [0, 1],
      [1, 3],
      [3, 5],
    ]);
    expect(shardRanges(1, 4)).toEqual([[0, 1]]);
  });

  it('joins shard results in item order, history frame by frame', () => {
    const joined = joinResults([result([1, 2], [0, 2, 4]), result([3], [0, 2, 4])], 7);
    expect(Array.from(joined.best.data)).toEqual([1, 2, 3]);
    expect(joined.best.shape).toEqual([3, 1, 1, 1]);
    expect(joined.initial).toEqual([0, 1, 2]);
    expect(joined.history.map((h) => h.step)).toEqual([0, 2, 4]);
    expect(Array.from(joined.history[1].images.data)).toEqual([2, 4, 6]);
    expect(joined.history[2].scores).toEqual([5, 6, 7]);
    expect(joined.seconds).toBe(7);
  });
});
