/**
 * Input x Gradient (Shrikumar et al. 2016, Not Just a Black Box: Learning Important Features
 * Through Propagating Activation Differences): the saliency gradient times the pixel values,
 * a first-order estimate of each pixel's contribution (Integrated Gradients with one step from
 * a black baseline, by midpoint, is this at x/2; Captum's InputXGradient).
 */
import * as tf from '@tensorflow/tfjs';
import type { AttributionRecord } from './method-record.js';
import { targetGradient } from './target-gradient.js';

export const inputXGradient: AttributionRecord = {
  name: 'input-x-gradient',
  title: 'Input x Gradient',
  paper:
    'Shrikumar et al. 2016, Not Just a Black Box: Learning Important Features Through Propagating Activation Differences',
  display: 'magnitude',
  quantity: '|input x gradient|',
  options: [],
  interactive: true,
  run: async ({ model, images, target, engine }) => {
    const gradient = await targetGradient(model, images, target, 'gradient', engine);
    const values = tf.mul(images, gradient) as tf.Tensor4D;
    gradient.dispose();
    return { values };
  },
};
