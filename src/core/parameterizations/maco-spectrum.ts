/**
 * The fixed magnitude spectrum of MACO (Fel et al., NeurIPS 2023): the mean Fourier magnitude
 * of natural images, which the optimization keeps while it changes only the phase. Stored as
 * data small enough for settings and manifests: a radial profile per channel (magnitude as a
 * function of sqrt(fy^2 + fx^2), cycles/px), measured from images or, without any, the power
 * law 1/f^a of natural images (van der Schaaf & van Hateren 1996: a ~ 1). Radial means drop
 * the horizontal/vertical excess of photos (the paper stores the full 2-D ImageNet mean); the
 * profile keeps the fall-off, which is what sets how smooth the images are.
 */
import { powerSpectrum, radialFrequency } from '../evaluation/image-stats.js';
import { halfWidth } from './inverse-fft.js';

export interface MacoSpectrum {
  /** Where the magnitudes come from: a folder, the model's samples, or the power law. */
  source: string;
  /** Ring centres in cycles/px, increasing. */
  frequency: number[];
  /** Per channel (decorrelated colour space for RGB), mean magnitude at each ring; max 1. */
  magnitude: number[][];
  /** a of the least-squares fit magnitude ~ f^-a over the rings. */
  exponent: number;
}

const RINGS = 24;
const MAX_FREQUENCY = Math.SQRT1_2;
const round = (v: number) => Number(v.toPrecision(5));

/** The fit of log m = c - a log f; returns a. */
function fitExponent(frequency: number[], magnitude: number[]): number {
  const points = frequency
    .map((f, i) => [Math.log(f), Math.log(magnitude[i])])
    .filter(([, m]) => Number.isFinite(m));
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return round(-sxy / sxx);
}

/**
 * The power law f^-exponent on rings up to the corner frequency, for `channels` channels.
 * @example powerLawSpectrum(3) // 1/f
 */
export function powerLawSpectrum(channels: number, exponent = 1): MacoSpectrum {
  const frequency = Array.from({ length: RINGS }, (_, i) =>
    round(((i + 0.5) * MAX_FREQUENCY) / RINGS),
  );
  const values = frequency.map((f) => f ** -exponent);
  const max = Math.max(...values);
  const profile = values.map((v) => round(v / max));
  return {
    source: `power law 1/f^${exponent}`,
    frequency,
    magnitude: Array.from({ length: channels }, () => [...profile]),
    exponent,
  };
}

/**
 * The mean magnitude of `images` (HWC values in [0, 1], all `height` x `width`), each image's
 * channel mean removed, in rings. `colour` maps RGB to the space the phase lives in (the
 * inverse of the decorrelation matrix); absent for gray.
 * @example spectrumFromImages(photos, 128, 128, 3, inverse(colorDecorrelationMatrix()), 'photos/')
 */
export function spectrumFromImages(
  images: Float32Array[],
  height: number,
  width: number,
  channels: number,
  colour: number[][] | null,
  source: string,
): MacoSpectrum {
  const step = MAX_FREQUENCY / RINGS;
  const sums = Array.from({ length: channels }, () => new Float64Array(RINGS));
  const counts = new Float64Array(RINGS);
  const ring = new Int32Array(height * width);
  for (let ky = 0; ky < height; ky++) {
    for (let kx = 0; kx < width; kx++) {
      const f = radialFrequency(ky, kx, height, width);
      // DC is not a ring: MACO's images are standardized, their mean is not optimized.
      ring[ky * width + kx] = f === 0 ? -1 : Math.min(RINGS - 1, Math.floor(f / step));
    }
  }
  const plane = new Float64Array(height * width);
  for (const image of images) {
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < height * width; i++) {
        plane[i] = colour
          ? colour[c].reduce((s, w, j) => s + w * image[i * channels + j], 0)
          : image[i * channels + c];
      }
      const power = powerSpectrum(plane, height, width);
      for (let i = 0; i < power.length; i++) {
        if (ring[i] < 0) continue;
        sums[c][ring[i]] += Math.sqrt(power[i]);
        if (c === 0) counts[ring[i]]++;
      }
    }
  }
  const used = [...counts.keys()].filter((r) => counts[r] > 0);
  const frequency = used.map((r) => round((r + 0.5) * step));
  const means = sums.map((s) => used.map((r) => s[r] / counts[r]));
  const max = Math.max(...means.flat(), 1e-30);
  const magnitude = means.map((m) => m.map((v) => round(v / max)));
  return { source, frequency, magnitude, exponent: fitExponent(frequency, magnitude[0]) };
}

/**
 * The fixed magnitudes of a half spectrum [h, w/2+1] (row-major, numpy's rfft2 layout) of
 * one channel: the profile linearly interpolated at each bin's radial frequency, clamped at
 * the ends; DC is 0.
 */
export function expandSpectrum(
  spectrum: MacoSpectrum,
  channel: number,
  height: number,
  width: number,
): Float32Array {
  const wf = halfWidth(width);
  const { frequency } = spectrum;
  const profile = spectrum.magnitude[Math.min(channel, spectrum.magnitude.length - 1)];
  const out = new Float32Array(height * wf);
  for (let ky = 0; ky < height; ky++) {
    for (let kx = 0; kx < wf; kx++) {
      const f = radialFrequency(ky, kx, height, width);
      if (f === 0) continue;
      let i = 0;
      while (i < frequency.length - 1 && frequency[i + 1] < f) i++;
      const [f0, f1] = [frequency[i], frequency[Math.min(i + 1, frequency.length - 1)]];
      const t = f1 > f0 ? Math.min(1, Math.max(0, (f - f0) / (f1 - f0))) : 0;
      out[ky * wf + kx] = profile[i] * (1 - t) + profile[Math.min(i + 1, profile.length - 1)] * t;
    }
  }
  return out;
}
