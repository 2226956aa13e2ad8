/** Builds a parameterization from its data record (presets, manifests, the web form). */
import type * as tf from '@tensorflow/tfjs';
import { fourierImage } from '../parameterizations/fourier.js';
import { macoImage } from '../parameterizations/maco.js';
import { powerLawSpectrum } from '../parameterizations/maco-spectrum.js';
import type { ImageShape, Parameterization } from '../parameterizations/parameterization.js';
import { pixelImage } from '../parameterizations/pixel.js';
import type { ParameterizationSpec } from './settings.js';

/**
 * @example createParameterization({ kind: 'fourier', sd: 0.01, decorrelate: true }, shape, 7)
 */
export function createParameterization(
  spec: ParameterizationSpec,
  shape: ImageShape,
  seed: number,
  init?: tf.Tensor4D,
  meanImage?: tf.Tensor4D,
): Parameterization {
  if (spec.kind === 'maco') {
    const spectrum = spec.spectrum ?? powerLawSpectrum(shape.channels);
    return macoImage(shape, { spectrum, sd: spec.sd, seed });
  }
  const center = spec.center === 'mean' ? (meanImage ?? 0.5) : (spec.center ?? 0.5);
  if (spec.kind === 'fourier') {
    return fourierImage(shape, { sd: spec.sd, decorrelate: spec.decorrelate, seed, center });
  }
  return pixelImage(shape, { mode: spec.mode, sd: spec.sd, center, seed, init });
}
