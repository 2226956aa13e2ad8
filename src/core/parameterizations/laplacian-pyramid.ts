/**
 * Lucid's Laplacian-pyramid image (`laplacian_pyramid_image`): the sum of `levels` tensors at
 * full, half, quarter ... resolution, each upsampled bilinearly to the image size. A step on
 * a coarse level moves a whole neighbourhood at once, so low frequencies get larger steps than
 * with pixels (a milder prior than the 1/f spectrum). Decorrelated colour and a sigmoid follow,
 * as Lucid's `image()` does.
 */
import * as tf from '@tensorflow/tfjs';
import { colourStage } from './colour-stage.js';
import { composeImage } from './compose-image.js';
import type { ImageShape, SpatialBasis } from './parameterization.js';
import { centerOf, type ParameterizationRecord } from './parameterization-record.js';

export interface LaplacianPyramidSpec {
  kind: 'laplacian-pyramid';
  sd: number;
  /** Levels: full size, then halved each level (Lucid: 4). */
  levels: number;
  decorrelate: boolean;
  center?: 'mean' | number;
}

/** The levels' sum: [batch, h, w, c] before colour. */
export function laplacianPyramidBasis(
  shape: ImageShape,
  options: { levels?: number; sd?: number; seed?: number } = {},
): SpatialBasis {
  const { levels = 4, sd = 0.01, seed = 0 } = options;
  const { batch, height, width, channels } = shape;
  const variables = Array.from({ length: levels }, (_, n) => {
    const k = 2 ** n;
    const size = [Math.max(1, Math.floor(height / k)), Math.max(1, Math.floor(width / k))];
    return tf.tidy(() =>
      tf.variable(tf.randomNormal([batch, size[0], size[1], channels], 0, sd, 'float32', seed + n)),
    );
  });
  return {
    kind: 'laplacian-pyramid',
    variables,
    spatial: () =>
      tf.tidy(
        () =>
          tf.addN(
            variables.map((v, n) =>
              n === 0 ? v : tf.image.resizeBilinear(v as tf.Tensor4D, [height, width]),
            ),
          ) as tf.Tensor4D,
      ),
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}

export const laplacianPyramidRecord: ParameterizationRecord<LaplacianPyramidSpec> = {
  kind: 'laplacian-pyramid',
  choices: [
    {
      name: 'laplacian-pyramid',
      description: "Lucid's 4-level Laplacian pyramid, decorrelated colour, sigmoid",
    },
  ],
  choiceOf: () => 'laplacian-pyramid',
  specFor: (_choice, current) => ({
    kind: 'laplacian-pyramid',
    sd: current.sd,
    levels: 4,
    decorrelate: true,
  }),
  build: (spec, context) => {
    const { shape } = context;
    const colour = colourStage([1, shape.height, shape.width, shape.channels], {
      decorrelate: spec.decorrelate,
      range: 'sigmoid',
      center: centerOf(spec, context),
    });
    const basis = laplacianPyramidBasis(shape, {
      levels: spec.levels,
      sd: spec.sd,
      seed: context.seed,
    });
    return composeImage(shape, basis, colour);
  },
};
