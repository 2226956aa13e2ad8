/**
 * Attribution tiles for a figure: the picture of an attribution (attribution-image.ts) with a
 * colour bar under it that gives the value range its colors stand for: [-m, 0, m] in gray for
 * signed projections, [0, m] in viridis for gradient magnitudes, [0, max] in jet for CAM maps;
 * the caption (what the values are) comes from the method's record.
 */
import type { RgbaImage } from '../core/image/rgba.js';
import { attributionImage, attributionScale } from '../core/methods/attribution-image.js';
import type { Attribution } from '../core/methods/attribution.js';
import { rangeTicks, type Colorbar } from './colorbar.js';
import type { GridTile } from './grid-png.js';

/** The colour bar of an attribution's picture. */
export function attributionColorbar(attribution: Attribution): Colorbar {
  const { colormap, min, max } = attributionScale(attribution);
  return { colormap, ticks: rangeTicks(min, max), caption: attribution.quantity };
}

/**
 * A grid tile: the attribution's picture (Grad-CAM over a gray copy of `input`), `label` under
 * it, then its colour bar.
 *
 * @example tiles.push(attributionTile(await attribute(model, image, 'gradcam', target), input, 'gradcam'));
 */
export function attributionTile(
  attribution: Attribution,
  input: RgbaImage,
  label: string,
): GridTile {
  return {
    image: attributionImage(attribution, input),
    label,
    colorbar: attributionColorbar(attribution),
  };
}
