/**
 * Normalization of raw values (kernels, activations, gradients) to [0, 1] for display. Plain
 * arrays in, plain arrays out, in double precision: a tile's bytes are then an exact function
 * of the values, which tests check. Min-max maps [min, max] to [0, 1] (a constant array to
 * 0.5); signed maps [-m, m] to [0, 1] with zero at mid-gray, m = max |v|.
 */

/** Smallest and largest finite value (0, 0 for an empty or all-NaN array). */
export function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/**
 * (v - min) / (max - min), with `range` overriding the data's own [min, max] (a shared scale);
 * 0.5 everywhere when the range is empty.
 *
 * @example normalizeMinMax([2, 4, 6]) // Float64Array [0, 0.5, 1]
 */
export function normalizeMinMax(
  values: ArrayLike<number>,
  range: { min: number; max: number } = minMax(values),
): Float64Array {
  const out = new Float64Array(values.length);
  const span = range.max - range.min;
  for (let i = 0; i < values.length; i++) {
    out[i] = span > 0 ? (values[i] - range.min) / span : 0.5;
  }
  return out;
}

/**
 * v / (2 m) + 0.5 with m = max |v| (or `scale`): zero is mid-gray, the sign is kept. Used for
 * signed maps such as deconvnet projections and gradients.
 *
 * @example normalizeSigned([-2, 0, 1]) // Float64Array [0, 0.5, 0.75]
 */
export function normalizeSigned(values: ArrayLike<number>, scale?: number): Float64Array {
  let m = scale ?? 0;
  if (scale === undefined) {
    for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = m > 0 ? values[i] / (2 * m) + 0.5 : 0.5;
  return out;
}

/**
 * Channel `c` of HWC data with `channels` channels, as a new array of height * width values.
 *
 * @example channelOf([1, 2, 3, 4], 2, 1) // Float32Array [2, 4]
 */
export function channelOf(values: ArrayLike<number>, channels: number, c: number): Float32Array {
  const out = new Float32Array(values.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = values[i * channels + c];
  return out;
}
