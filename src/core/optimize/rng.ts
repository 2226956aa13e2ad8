/**
 * A small seeded pseudo-random generator (mulberry32) for everything random in an
 * optimization that happens in JavaScript: transform offsets, scales and angles, and the
 * seeds handed to tfjs initializers. Same seed, same sequence, on every platform.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** One of `values`. */
  pick<T>(values: readonly T[]): T;
  /** A 31-bit seed for a tfjs random op. */
  seed(): number;
}

/**
 * @example const rng = createRng(42); rng.int(8)
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (values) => values[Math.floor(next() * values.length)],
    seed: () => Math.floor(next() * 2147483647),
  };
}
