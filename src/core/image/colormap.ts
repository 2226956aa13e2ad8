/**
 * Colormaps for magnitude maps (feature maps, saliency, Grad-CAM): a value in [0, 1] becomes a
 * color. `viridis` interpolates linearly between nine samples of matplotlib's viridis
 * (perceptually uniform, readable in gray and by most color-blind readers). `heatOverlay`
 * blends a colormapped heat map over an image, the usual way to show Grad-CAM.
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

/** A function from [0, 1] (clamped) to an RGB byte triple. */
export type Colormap = (value: number) => Rgb;

/**
 * The viridis color of `value` in [0, 1] (clamped; NaN counts as 0).
 *
 * @example viridis(0) // [68, 1, 84]; viridis(1) // [253, 231, 37]
 */
export const viridis: Colormap = (value) => {
  const v = value > 0 ? Math.min(1, value) : 0;
  const position = v * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(position));
  const t = position - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t)) as Rgb;
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

/**
 * `base` with a colormapped heat map (values in [0, 1], one per pixel of `base`) blended over
 * it: per pixel, weight `opacity * (0.25 + 0.75 * heat)`, so cold regions keep the image
 * visible and hot regions show the color.
 */
export function heatOverlay(
  base: RgbaImage,
  heat: ArrayLike<number>,
  opacity = 0.75,
  colormap: Colormap = viridis,
): RgbaImage {
  if (heat.length !== base.width * base.height) {
    throw new ConvscopeError(
      `a heat map needs ${base.width}x${base.height} values, got ${heat.length}`,
    );
  }
  const data = new Uint8ClampedArray(base.data);
  for (let p = 0; p < heat.length; p++) {
    const h = heat[p] > 0 ? Math.min(1, heat[p]) : 0;
    const w = opacity * (0.25 + 0.75 * h);
    const color = colormap(h);
    for (let k = 0; k < 3; k++) {
      data[p * 4 + k] = Math.round(base.data[p * 4 + k] * (1 - w) + color[k] * w);
    }
  }
  return { width: base.width, height: base.height, data };
}
