/**
 * Attribution: what in an image a unit or a class responds to. The methods are records in a
 * registry (attribution/registry.ts): deconvnet, guided backprop and saliency (one backward
 * pass in which only the ReLU rule changes), SmoothGrad (the noise tunnel over any method),
 * Grad-CAM, Integrated Gradients, Grad-CAM++, Score-CAM and guided Grad-CAM. `attribute` resolves
 * the target, runs the method's record and returns raw values in the input's layout, with their
 * range and how to draw them; attribution-image.ts draws them. With `options.engine` other than
 * TF.js the network runs on that engine (a method that cannot says so).
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkEngine } from '../engines/network-engine.js';
import { minMax } from '../image/normalize.js';
import type { VisModel } from '../models/vis-model.js';
import {
  resolveTarget,
  type AttributionTarget,
  type ResolvedTarget,
} from './attribution-target.js';
import { runMethod, type AttributionDisplay } from './attribution/method-record.js';
import { ATTRIBUTION_METHODS, attributionRecord } from './attribution/registry.js';

export { ATTRIBUTION_METHODS };

/** A method's name (see ATTRIBUTION_METHODS). */
export type AttributionMethod = string;

/**
 * Options of the methods, by key (each record lists its own: `samples`, `noise`, `base` for
 * SmoothGrad; `camLayer` for the CAM methods; `steps`, `baseline` for Integrated Gradients ...),
 * plus the engine and the seed of any noise.
 */
export interface AttributionOptions {
  /** Runs the network (when it is not TF.js; default: TF.js on the active backend). */
  engine?: NetworkEngine;
  /** Seed of any noise a method draws (default 0). */
  seed?: number;
  [option: string]: unknown;
}

export interface Attribution {
  method: AttributionMethod;
  target: ResolvedTarget;
  /** HWC values: the input gradient ([h, w, c]) or, for the CAM methods, the upsampled map ([h, w, 1]). */
  values: Float32Array;
  shape: [number, number, number];
  min: number;
  max: number;
  /** How to draw the values, and what they are (the colour bar's caption). */
  display: AttributionDisplay;
  quantity: string;
  /** CAM methods: the layer used and its map before upsampling. */
  camLayer?: string;
  cam?: { values: Float32Array; height: number; width: number };
}

/**
 * The attribution of `target` for one image [height, width, channels] in [0, 1].
 *
 * @example
 * const a = await attribute(model, image, 'guided', { kind: 'unit', layer: 'block2_conv1', channel: 5 });
 */
export async function attribute(
  model: VisModel,
  image: tf.Tensor3D,
  method: AttributionMethod,
  target: AttributionTarget,
  options: AttributionOptions = {},
): Promise<Attribution> {
  const record = attributionRecord(method);
  const images = tf.expandDims(image, 0) as tf.Tensor4D;
  try {
    const { engine, seed = 0 } = options;
    const resolved = await resolveTarget(model, images, target, engine);
    const out = await runMethod(record, {
      model,
      images,
      target: resolved,
      engine,
      seed,
      given: options,
    });
    const values = (await out.values.data()) as Float32Array;
    const [, h, w, c] = out.values.shape;
    out.values.dispose();
    let cam: Attribution['cam'];
    if (out.cam) {
      const [, height, width] = out.cam.shape;
      cam = { values: (await out.cam.data()) as Float32Array, height, width };
      out.cam.dispose();
    }
    return {
      method,
      target: resolved,
      values,
      shape: [h, w, c],
      ...minMax(values),
      display: out.display ?? record.display,
      quantity: out.quantity ?? record.quantity,
      ...(out.camLayer ? { camLayer: out.camLayer, cam } : {}),
    };
  } finally {
    images.dispose();
  }
}
