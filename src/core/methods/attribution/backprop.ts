/**
 * Deconvnet, guided backprop and saliency: one backward pass from the target to the pixels in
 * which only the ReLU's backward rule changes (relu-rules.ts). The two projections are drawn
 * as signed images, the plain gradient as its magnitude.
 */
import { targetGradient } from './target-gradient.js';
import type { AttributionRecord } from './method-record.js';
import type { BackwardRule } from '../relu-rules.js';

function backprop(
  rule: BackwardRule,
  record: Omit<AttributionRecord, 'options' | 'interactive' | 'run'>,
): AttributionRecord {
  return {
    ...record,
    options: [],
    interactive: true,
    run: async ({ model, images, target, engine }) => ({
      values: await targetGradient(model, images, target, rule, engine),
    }),
  };
}

export const deconvnet = backprop('deconvnet', {
  name: 'deconvnet',
  title: 'Deconvnet',
  paper: 'Zeiler & Fergus 2014, Visualizing and Understanding Convolutional Networks',
  display: 'signed',
  quantity: 'projection (0 = gray)',
});

export const guided = backprop('guided', {
  name: 'guided',
  title: 'Guided backprop',
  paper: 'Springenberg et al. 2015, Striving for Simplicity: The All Convolutional Net',
  display: 'signed',
  quantity: 'gradient (0 = gray)',
});

export const saliency = backprop('gradient', {
  name: 'saliency',
  title: 'Saliency',
  paper: 'Simonyan et al. 2014, Deep Inside Convolutional Networks',
  display: 'magnitude',
  quantity: '|gradient| (max over channels)',
});
