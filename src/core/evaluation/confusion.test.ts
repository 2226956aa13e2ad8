import { describe, expect, it } from 'vitest';
import { evaluate } from './confusion.js';

describe('evaluate', () => {
  it('counts rows as truth and columns as prediction', () => {
    const result = evaluate([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3, ['a', 'b', 'c']);
    expect(result.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(result.correct).toBe(4);
    expect(result.accuracy).toBeCloseTo(4 / 6, 12);
    expect(result.perClass.map((c) => c.accuracy)).toEqual([0.5, 1, 2 / 3]);
    expect(result.perClass[2]).toMatchObject({ label: 'c', count: 3, correct: 2 });
  });

  it('rejects mismatched lengths', () => {
    expect(() => evaluate([0, 1], [0], 2)).toThrow(/2 labels but 1 predictions/);
  });
});
