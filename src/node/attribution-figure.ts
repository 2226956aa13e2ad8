/**
 * Attribution tiles for a figure: the picture of an attribution (attribution-image.ts) with a
 * colour bar under it that gives the value range its colors stand for: [-m, 0, m] in gray for
 * signed projections, [0, m] in viridis for gradient magnitudes, [0, max] in jet for Grad-CAM.
 */
import type { RgbaImage } from '../core/image/rgba.js';
import { attributionImage, attributionScale } from '../core/methods/attribution-image.js';
import type { Attribution, AttributionMethod } from '../core/methods/attribution.js';
import { rangeTicks, type Colorbar } from './colorbar.js';
import type { GridTile } from './grid-png.js';

/** What the values of each method are (the bar's caption). */
const QUANTITY: Record<AttributionMethod, string> = {
  deconvnet: 'projection (0 = gray)',
  guided: 'gradient (0 = gray)',
  saliency: '|gradient| (max over channels)',
  smoothgrad: '|mean gradient under noise|',
  gradcam: 'Grad-CAM, over the image in gray',
};

/** The colour bar of an attribution's picture. */
export function attributionColorbar(attribution: Attribution): Colorbar {
  const { colormap, min, max } = attributionScale(attribution);
  return { colormap, ticks: rangeTicks(min, max), caption: QUANTITY[attribution.method] };
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
