/**
 * Guided Grad-CAM (Selvaraju et al. 2017, section 3.1): guided backprop, which is sharp but
 * barely class-discriminative, times the upsampled Grad-CAM map, which is class-discriminative
 * but coarse; a signed image-like projection, drawn like guided backprop.
 */
import * as tf from '@tensorflow/tfjs';
import { gradCam } from './grad-cam.js';
import { runMethod, type AttributionRecord } from './method-record.js';
import { targetGradient } from './target-gradient.js';

export const guidedGradCam: AttributionRecord = {
  name: 'guided-gradcam',
  title: 'Guided Grad-CAM',
  paper: 'Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks',
  display: 'signed',
  quantity: 'guided x Grad-CAM (0 = gray)',
  options: gradCam.options,
  interactive: true,
  run: async (input) => {
    const { model, images, target, engine } = input;
    const cam = await runMethod(gradCam, input);
    const guided = await targetGradient(model, images, target, 'guided', engine);
    const values = tf.mul(guided, cam.values) as tf.Tensor4D;
    tf.dispose([guided, cam.values]);
    return { ...cam, values };
  },
};
