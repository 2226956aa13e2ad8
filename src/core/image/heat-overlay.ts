/**
 * Heat maps over images, the way the Grad-CAM paper draws them: the image is turned into a gray
 * copy (so its own colors cannot be mistaken for heat) and the colormapped heat is blended over
 * it with an alpha that grows with the heat, so cold regions show the plain gray image and hot
 * regions the colormap's hot end (jet: red).
 */
import { ConvscopeError } from '../errors.js';
import { jet, type Colormap } from './colormap.js';
import type { RgbaImage } from './rgba.js';

/** Rec. 601 luma of an RGB byte triple (the weights of ITU-R BT.601, as most gray conversions). */
export const luma = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

/**
 * A gray copy of `image` (luma in every channel, alpha kept).
 *
 * @example grayCopy(rgbaFromFloats([1, 0, 0], 1, 1, 3)) // one pixel [76, 76, 76, 255]
 */
export function grayCopy(image: RgbaImage): RgbaImage {
  const data = new Uint8ClampedArray(image.data);
  for (let p = 0; p < data.length; p += 4) {
    const y = Math.round(luma(data[p], data[p + 1], data[p + 2]));
    data[p] = data[p + 1] = data[p + 2] = y;
  }
  return { width: image.width, height: image.height, data };
}

/**
 * `base` in gray with `heat` (one value in [0, 1] per pixel, clamped) blended over it: per
 * pixel, alpha `opacity * heat` of `colormap(heat)`. Heat 0 leaves the gray copy untouched.
 *
 * @example heatOverlay(input, camValues.map((v) => v / max)) // Grad-CAM over a gray input
 */
export function heatOverlay(
  base: RgbaImage,
  heat: ArrayLike<number>,
  opacity = 0.7,
  colormap: Colormap = jet,
): RgbaImage {
  if (heat.length !== base.width * base.height) {
    throw new ConvscopeError(
      `a heat map needs ${base.width}x${base.height} values, got ${heat.length}`,
    );
  }
  const gray = grayCopy(base);
  const data = gray.data;
  for (let p = 0; p < heat.length; p++) {
    const h = heat[p] > 0 ? Math.min(1, heat[p]) : 0;
    const alpha = opacity * h;
    const color = colormap(h);
    for (let k = 0; k < 3; k++) {
      data[p * 4 + k] = Math.round(data[p * 4 + k] * (1 - alpha) + color[k] * alpha);
    }
  }
  return gray;
}
