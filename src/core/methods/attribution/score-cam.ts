/**
 * Score-CAM (Wang et al. 2020, Score-CAM: Score-Weighted Visual Explanations for Convolutional
 * Neural Networks): no gradients at all. Each map A_k of the layer, upsampled bilinearly to the
 * image and min-max normalized to [0, 1], masks the image (in [0, 1], so masked-out pixels are
 * black); the target's score on each masked image, softmaxed over the channels, weighs the maps:
 * map = ReLU(sum_k softmax(S)_k A_k), as pytorch-grad-cam's ScoreCAM does. One forward pass per
 * channel (32 masked images at a time), so it costs as many forward passes as the layer has
 * channels.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkEngine } from '../../engines/network-engine.js';
import type { VisModel } from '../../models/vis-model.js';
import {
  layerOutput,
  objectiveOf,
  targetLayer,
  type ResolvedTarget,
} from '../attribution-target.js';
import type { AttributionRecord } from './method-record.js';
import { CAM_LAYER, camLayerOf, weightedCam } from './grad-cam.js';

const MASKS_PER_PASS = 32;

/** The target's score on each image of a batch (objectiveOf per image). */
export async function targetScores(
  model: VisModel,
  images: tf.Tensor4D,
  target: ResolvedTarget,
  engine?: NetworkEngine,
): Promise<Float32Array> {
  const output = await layerOutput(model, images, targetLayer(target), engine);
  const scores = tf.tidy(() =>
    tf.stack(
      Array.from({ length: images.shape[0] }, (_, i) =>
        objectiveOf(target, tf.slice(output, i, 1)),
      ),
    ),
  );
  output.dispose();
  const values = (await scores.data()) as Float32Array;
  scores.dispose();
  return values;
}

/** Each map [1, h', w', k] upsampled to [h, w] and scaled to [0, 1] (a flat map gives 0): [k, h, w, 1]. */
export function scoreCamMasks(maps: tf.Tensor4D, [h, w]: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const up = tf.image.resizeBilinear(maps, [h, w], false, true);
    const low = tf.min(up, [1, 2], true);
    const span = tf.sub(tf.max(up, [1, 2], true), low);
    const safe = tf.where(tf.greater(span, 0), span, tf.onesLike(span));
    const scaled = tf.mul(tf.div(tf.sub(up, low), safe), tf.cast(tf.greater(span, 0), 'float32'));
    return tf.transpose(scaled, [3, 1, 2, 0]) as tf.Tensor4D;
  });
}

export const scoreCam: AttributionRecord = {
  name: 'scorecam',
  title: 'Score-CAM',
  paper:
    'Wang et al. 2020, Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks',
  display: 'heat',
  quantity: 'Score-CAM, over the image in gray',
  options: [CAM_LAYER],
  interactive: true,
  run: async (input) => {
    const { model, images, target, engine } = input;
    const camLayer = camLayerOf(input);
    const [n, h, w] = images.shape;
    const values: tf.Tensor4D[] = [];
    const cams: tf.Tensor4D[] = [];
    for (let i = 0; i < n; i++) {
      const image = tf.slice(images, i, 1);
      const maps = (await layerOutput(model, image, camLayer, engine)) as tf.Tensor4D;
      const masks = scoreCamMasks(maps, [h, w]);
      const channels = masks.shape[0];
      const scores = new Float32Array(channels);
      for (let start = 0; start < channels; start += MASKS_PER_PASS) {
        const count = Math.min(MASKS_PER_PASS, channels - start);
        const masked = tf.tidy(() => tf.mul(image, tf.slice(masks, start, count)) as tf.Tensor4D);
        scores.set(await targetScores(model, masked, target, engine), start);
        masked.dispose();
      }
      const weights = tf.tidy(() =>
        tf.reshape(tf.softmax(tf.tensor1d(scores)), [1, 1, 1, channels]),
      );
      const out = weightedCam(maps, weights as tf.Tensor4D, camLayer, [h, w]);
      tf.dispose([image, maps, masks, weights]);
      values.push(out.values);
      cams.push(out.cam!);
    }
    const result = {
      values: tf.concat(values) as tf.Tensor4D,
      cam: tf.concat(cams) as tf.Tensor4D,
      camLayer,
    };
    tf.dispose([...values, ...cams]);
    return result;
  },
};
