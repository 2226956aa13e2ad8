/**
 * Pictures of attributions, the way their papers show them, by the method record's display
 * kind: signed projections (deconvnet, guided backprop, guided Grad-CAM) centered at mid-gray,
 * zero gray, scaled by the largest magnitude; magnitude maps (saliency, SmoothGrad, Integrated
 * Gradients) as max over channels of |value| through viridis; and heat maps (the CAM methods)
 * as a jet overlay with alpha on a gray copy of the image (heat-overlay.ts).
 */
import { applyColormap, gray, jet, viridis, type Colormap } from '../image/colormap.js';
import { heatOverlay } from '../image/heat-overlay.js';
import { normalizeSigned } from '../image/normalize.js';
import { rgbaFromFloats, type RgbaImage } from '../image/rgba.js';
import type { Attribution } from './attribution.js';

/** max over channels of |v| per pixel, divided by the largest such value. */
export function magnitude(values: ArrayLike<number>, channels: number): Float64Array {
  const out = new Float64Array(values.length / channels);
  let largest = 0;
  for (let p = 0; p < out.length; p++) {
    for (let c = 0; c < channels; c++)
      out[p] = Math.max(out[p], Math.abs(values[p * channels + c]));
    largest = Math.max(largest, out[p]);
  }
  if (largest > 0) for (let p = 0; p < out.length; p++) out[p] /= largest;
  return out;
}

/**
 * The picture of an attribution. `input` (the image as the model saw it) is needed for
 * the heat maps' overlay.
 *
 * @example const picture = attributionImage(await attribute(model, image, 'guided', target), input);
 */
export function attributionImage(attribution: Attribution, input?: RgbaImage): RgbaImage {
  const [height, width, channels] = attribution.shape;
  const { values } = attribution;
  switch (attribution.display) {
    case 'signed':
      return rgbaFromFloats(normalizeSigned(values), width, height, channels);
    case 'magnitude':
      return applyColormap(magnitude(values, channels), width, height);
    case 'heat': {
      const heat = attribution.max > 0 ? values.map((v) => v / attribution.max) : values;
      if (!input) return applyColormap(heat, width, height, jet);
      return heatOverlay(input, heat);
    }
  }
}

/** What a picture's colors mean: value `min` is `colormap(0)`, `max` is `colormap(1)`. */
export interface DisplayScale {
  colormap: Colormap;
  min: number;
  max: number;
}

/**
 * The value range behind `attributionImage`'s colors (for a colour bar): signed projections
 * span [-m, m] in gray (m = max |value|), magnitudes [0, m] in viridis, Grad-CAM [0, max] in jet.
 *
 * @example attributionScale(guided) // { colormap: gray, min: -0.02, max: 0.02 }
 */
export function attributionScale(attribution: Attribution): DisplayScale {
  const m = Math.max(Math.abs(attribution.min), Math.abs(attribution.max));
  switch (attribution.display) {
    case 'signed':
      return { colormap: gray, min: -m, max: m };
    case 'magnitude':
      return { colormap: viridis, min: 0, max: m };
    case 'heat':
      return { colormap: jet, min: 0, max: Math.max(0, attribution.max) };
  }
}
