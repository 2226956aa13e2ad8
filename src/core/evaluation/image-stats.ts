/**
 * What a person sees in an optimized image, as numbers that compare runs and tools (issue 16):
 * how much of it is clipped to black or white, and how much of its brightness varies at the
 * pixel scale. Plain arrays in, plain numbers out (no tensors), so the CLI, the workers and the
 * workbench compute the same values.
 */

/** A colour value counts as saturated within this distance of 0 or 1. */
export const SATURATION_MARGIN = 0.02;
/** Radial frequencies above this (cycles per pixel) count as high frequency. */
export const HIGH_FREQUENCY_CUTOFF = 0.25;

export interface ImageStats {
  /** Fraction of colour values (every channel of every pixel) within 0.02 of 0 or 1. */
  saturated: number;
  /** Fraction of the luminance's spectral power above 0.25 cycles/px (see `highFrequencyFraction`). */
  highFrequency: number;
}

/**
 * Fraction of values v with v <= 0.02 or v >= 0.98 (each colour value counts once).
 * @example saturatedFraction(Float32Array.of(0, 0.5, 1, 0.5)) // 0.5
 */
export function saturatedFraction(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v <= SATURATION_MARGIN || v >= 1 - SATURATION_MARGIN) count++;
  }
  return count / values.length;
}

/** Luminance [h * w] of an HWC image: Rec. 601 weights for RGB, the value for gray. */
export function luminance(values: ArrayLike<number>, channels: number): Float64Array {
  const n = values.length / channels;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] =
      channels >= 3
        ? 0.299 * values[i * channels] +
          0.587 * values[i * channels + 1] +
          0.114 * values[i * channels + 2]
        : values[i * channels];
  }
  return out;
}

/** fftfreq: frequency of DFT bin k of n, in cycles per sample, in [-0.5, 0.5). */
const frequency = (k: number, n: number) => (k < Math.ceil(n / 2) ? k : k - n) / n;

/**
 * |DFT|^2 of `values` [h * w] with its mean removed, all h x w bins (row ky, column kx).
 * Separable DFT: rows first, then columns; O(h w (h + w)), no size restriction.
 */
export function powerSpectrum(
  values: ArrayLike<number>,
  height: number,
  width: number,
): Float64Array {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  const rowRe = new Float64Array(height * width);
  const rowIm = new Float64Array(height * width);
  const [cosW, sinW] = [twiddles(width, Math.cos), twiddles(width, Math.sin)];
  for (let y = 0; y < height; y++) {
    for (let kx = 0; kx < width; kx++) {
      let re = 0;
      let im = 0;
      for (let x = 0; x < width; x++) {
        const v = values[y * width + x] - mean;
        const t = (kx * x) % width;
        re += v * cosW[t];
        im -= v * sinW[t];
      }
      rowRe[y * width + kx] = re;
      rowIm[y * width + kx] = im;
    }
  }
  const [cosH, sinH] = [twiddles(height, Math.cos), twiddles(height, Math.sin)];
  const power = new Float64Array(height * width);
  for (let ky = 0; ky < height; ky++) {
    for (let kx = 0; kx < width; kx++) {
      let re = 0;
      let im = 0;
      for (let y = 0; y < height; y++) {
        const t = (ky * y) % height;
        const [a, b] = [rowRe[y * width + kx], rowIm[y * width + kx]];
        // (a + ib) * (cos - i sin)
        re += a * cosH[t] + b * sinH[t];
        im += b * cosH[t] - a * sinH[t];
      }
      power[ky * width + kx] = re * re + im * im;
    }
  }
  return power;
}

/** Radial frequency (cycles/px) of DFT bin (ky, kx) of an h x w image. */
export const radialFrequency = (ky: number, kx: number, height: number, width: number): number =>
  Math.hypot(frequency(ky, height), frequency(kx, width));

/**
 * Fraction of spectral power above `cutoff` cycles/px: L is the luminance with its mean
 * removed, F = the 2-D DFT of L (h x w bins), P = |F|^2; the result is the sum of P over bins
 * whose radial frequency sqrt(fy^2 + fx^2) > cutoff, divided by the sum of P over all bins
 * (fy, fx = numpy's fftfreq of the bin, cycles/px). A constant image has no power: 0. A
 * one-pixel checkerboard has all of it at (0.5, 0.5): 1.
 * @example highFrequencyFraction(luminance(pixels, 3), 128, 128)
 */
export function highFrequencyFraction(
  gray: ArrayLike<number>,
  height: number,
  width: number,
  cutoff = HIGH_FREQUENCY_CUTOFF,
): number {
  const power = powerSpectrum(gray, height, width);
  let total = 0;
  let high = 0;
  for (let ky = 0; ky < height; ky++) {
    for (let kx = 0; kx < width; kx++) {
      const p = power[ky * width + kx];
      total += p;
      if (radialFrequency(ky, kx, height, width) > cutoff) high += p;
    }
  }
  // Rounding noise of a constant image is not power.
  return total <= 1e-18 * gray.length * gray.length ? 0 : high / total;
}

function twiddles(n: number, f: (x: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_, t) => f((2 * Math.PI * t) / n));
}

/**
 * Both statistics of one HWC image with values in [0, 1].
 * @example imageStats(data.subarray(0, h * w * 3), h, w, 3)
 */
export function imageStats(
  values: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
): ImageStats {
  return {
    saturated: saturatedFraction(values),
    highFrequency: highFrequencyFraction(luminance(values, channels), height, width),
  };
}

/**
 * The statistics of every image of an NHWC batch (float values in [0, 1]), as the CLI's
 * manifests, the queue's workers and the workbench's tiles report them.
 * @example batchStats(result.best)[0].saturated
 */
export function batchStats(batch: {
  data: ArrayLike<number> & { subarray(begin: number, end: number): ArrayLike<number> };
  shape: readonly number[];
}): ImageStats[] {
  const [n, h, w, c] = batch.shape;
  const size = h * w * c;
  return Array.from({ length: n }, (_, i) =>
    imageStats(batch.data.subarray(i * size, (i + 1) * size), h, w, c),
  );
}

/** Width in px of the outer ring `rimContrast` reads: 2 at 28 px, 3 at 48, 4 at 64, 8 at 128. */
export const rimWidth = (height: number, width: number): number =>
  Math.max(2, Math.round(Math.min(height, width) / 16));

/**
 * Mean luminance of the outer `ring` px of an HWC image minus that of the rest (issue 16's
 * dark rim: a frame darker than the picture inside it reads below zero). A uniform image
 * gives 0; a 0 frame around a 1 interior gives -1.
 * @example rimContrast(values, 28, 28, 1) // -0.3: the border is 0.3 darker than the inside
 */
export function rimContrast(
  values: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  ring = rimWidth(height, width),
): number {
  const gray = luminance(values, channels);
  let [rim, rimCount, inside, insideCount] = [0, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = Math.min(y, x, height - 1 - y, width - 1 - x) < ring;
      if (edge) [rim, rimCount] = [rim + gray[y * width + x], rimCount + 1];
      else [inside, insideCount] = [inside + gray[y * width + x], insideCount + 1];
    }
  }
  return insideCount === 0 ? 0 : rim / rimCount - inside / insideCount;
}
