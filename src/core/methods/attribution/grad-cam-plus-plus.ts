/**
 * Grad-CAM++ (Chattopadhyay et al. 2018, Grad-CAM++: Improved Visual Explanations for Deep
 * Convolutional Networks): Grad-CAM whose channel weights count every position that raises the
 * target, not their mean gradient. With the target's score passed through exp (the paper's
 * closed form), its higher derivatives are powers of the first, g_k, and exp(S) cancels out of
 * the coefficients:
 *   alpha_k(i,j) = g^2 / (2 g^2 + sum_ab A_k(a,b) g^3 + eps)   (0 where g = 0)
 *   w_k = sum_ij alpha_k(i,j) ReLU(g_k(i,j)),   map = ReLU(sum_k w_k A_k)
 * as pytorch-grad-cam computes it (grad_cam_plusplus.py, eps = 1e-6).
 */
import * as tf from '@tensorflow/tfjs';
import type { AttributionRecord } from './method-record.js';
import { CAM_LAYER, gradientCam } from './grad-cam.js';

/** Grad-CAM++'s channel weights [n, 1, 1, k] from maps A and gradients g [n, h, w, k]. */
export function gradCamPlusPlusWeights(maps: tf.Tensor4D, gradient: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const g2 = tf.square(gradient);
    const g3 = tf.mul(g2, gradient);
    const sumA = tf.sum(maps, [1, 2], true);
    const alpha = tf.div(g2, tf.add(tf.add(tf.mul(2, g2), tf.mul(sumA, g3)), 1e-6));
    const kept = tf.where(tf.notEqual(gradient, 0), alpha, tf.zerosLike(alpha));
    return tf.sum(tf.mul(kept, tf.relu(gradient)), [1, 2], true) as tf.Tensor4D;
  });
}

export const gradCamPlusPlus: AttributionRecord = {
  name: 'gradcam-plus-plus',
  title: 'Grad-CAM++',
  paper:
    'Chattopadhyay et al. 2018, Grad-CAM++: Improved Visual Explanations for Deep Convolutional Networks',
  display: 'heat',
  quantity: 'Grad-CAM++ over the image in gray',
  options: [CAM_LAYER],
  interactive: true,
  run: gradientCam(gradCamPlusPlusWeights),
};
