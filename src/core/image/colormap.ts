/**
 * Colormaps: a value in [0, 1] becomes a color. `viridis` (magnitudes: feature maps, saliency)
 * interpolates linearly between nine samples of matplotlib's viridis (perceptually uniform,
 * readable in gray and by most color-blind readers); `diverging` (signed values such as
 * weights, 0.5 = zero) is ColorBrewer's 11-class RdBu reversed: blue below zero, near-white at
 * zero, red above; `jet` is matplotlib's piecewise-linear jet, the map of the Grad-CAM paper's
 * heat overlays (see heat-overlay.ts).
 */
import { ConvscopeError } from '../errors.js';
import { toByte, type RgbaImage } from './rgba.js';

type Rgb = [number, number, number];

// matplotlib viridis at 0, 1/8, ..., 1.
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [253, 231, 37],
];

// ColorBrewer RdBu (11 classes), reversed: #053061 ... #f7f7f7 ... #67001f.
const RDBU_REVERSED: Rgb[] = [
  [5, 48, 97],
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
  [103, 0, 31],
];

// matplotlib's _jet_data: per channel, (position, value) knots.
const JET: [number, number][][] = [
  [
    [0, 0],
    [0.35, 0],
    [0.66, 1],
    [0.89, 1],
    [1, 0.5],
  ],
  [
    [0, 0],
    [0.125, 0],
    [0.375, 1],
    [0.64, 1],
    [0.91, 0],
    [1, 0],
  ],
  [
    [0, 0.5],
    [0.11, 1],
    [0.34, 1],
    [0.65, 0],
    [1, 0],
  ],
];

/** `value` clamped to [0, 1] (NaN counts as 0). */
const clamp01 = (value: number): number => (value > 0 ? Math.min(1, value) : 0);

/** Linear interpolation between equally spaced color samples. */
function sampled(samples: Rgb[], value: number): Rgb {
  const position = clamp01(value) * (samples.length - 1);
  const i = Math.min(samples.length - 2, Math.floor(position));
  const t = position - i;
  const [a, b] = [samples[i], samples[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t)) as Rgb;
}

/** A function from [0, 1] (clamped) to an RGB byte triple. */
export type Colormap = (value: number) => Rgb;

/**
 * The viridis color of `value` in [0, 1] (clamped; NaN counts as 0).
 *
 * @example viridis(0) // [68, 1, 84]; viridis(1) // [253, 231, 37]
 */
export const viridis: Colormap = (value) => sampled(VIRIDIS, value);

/**
 * Signed values: `value` 0.5 is zero (near-white), 0 the most negative (dark blue), 1 the most
 * positive (dark red). Map v in [-m, m] with `(v / m + 1) / 2` (normalizeSigned).
 *
 * @example diverging(0.5) // [247, 247, 247]; diverging(0) // [5, 48, 97]
 */
export const diverging: Colormap = (value) => sampled(RDBU_REVERSED, value);

/**
 * matplotlib's jet: dark blue at 0, cyan, yellow, red at 0.89, dark red at 1.
 *
 * @example jet(0) // [0, 0, 128]; jet(0.5) // [123, 255, 123]
 */
export const jet: Colormap = (value) => {
  const v = clamp01(value);
  return JET.map((knots) => {
    let i = 0;
    while (i < knots.length - 2 && v > knots[i + 1][0]) i++;
    const [[x0, y0], [x1, y1]] = [knots[i], knots[i + 1]];
    return Math.round((y0 + ((y1 - y0) * (v - x0)) / (x1 - x0)) * 255);
  }) as Rgb;
};

/** Gray: v -> (v, v, v). */
export const gray: Colormap = (value) => {
  const b = toByte(value);
  return [b, b, b];
};

/**
 * An RGBA image of `values` (height * width, in [0, 1]) through a colormap.
 *
 * @example applyColormap(new Float32Array([0, 1]), 2, 1) // a dark purple and a yellow pixel
 */
export function applyColormap(
  values: ArrayLike<number>,
  width: number,
  height: number,
  colormap: Colormap = viridis,
): RgbaImage {
  if (values.length !== width * height) {
    throw new ConvscopeError(`a colormap needs ${width}x${height} values, got ${values.length}`);
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < values.length; p++) {
    const [r, g, b] = colormap(values[p]);
    data.set([r, g, b, 255], p * 4);
  }
  return { width, height, data };
}
