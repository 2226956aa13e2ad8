/**
 * A fully convolutional model at another input size: the same layers and weights, rebuilt
 * from the model's own topology with a new input shape. Activation maximization uses it to
 * render VGG16 without its top at Lucid's 128 px (or any `--size`) instead of 224 px. Models
 * with a Flatten or Dense layer fix their input size and are refused with the reason.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

const FIXED_SIZE = new Set(['Flatten', 'Dense', 'Reshape']);

/** True when no layer fixes the spatial size (no Flatten, Dense or Reshape). */
export function acceptsAnySize(model: tf.LayersModel): boolean {
  return model.layers.every((l) => !FIXED_SIZE.has(l.getClassName()));
}

type Json = { [key: string]: unknown };

/** Replaces every batch_input_shape [b, h, w, c] in a topology with [b, height, width, c]. */
function patchInputShapes(node: unknown, height: number, width: number): void {
  if (Array.isArray(node)) {
    node.forEach((n) => patchInputShapes(n, height, width));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Json;
  for (const [key, value] of Object.entries(object)) {
    if ((key === 'batch_input_shape' || key === 'batchInputShape') && Array.isArray(value) && value.length === 4) {
      object[key] = [value[0], height, width, value[3]];
    } else patchInputShapes(value, height, width);
  }
}

/**
 * The model rebuilt for `height` x `width` inputs, sharing nothing with the original (weights
 * are copied).
 * @example const small = await withInputSize(vgg16NoTop, 128, 128)
 */
export async function withInputSize(
  model: tf.LayersModel,
  height: number,
  width: number,
): Promise<tf.LayersModel> {
  const offending = model.layers.find((l) => FIXED_SIZE.has(l.getClassName()));
  if (offending) {
    throw new ConvscopeError(
      `the model's input size is fixed by its ${offending.getClassName()} layer '${offending.name}'`,
      'use a model without its top (e.g. vgg16-notop) to choose --size, or leave --size out',
    );
  }
  const topology = model.toJSON(null, false) as unknown as Json;
  patchInputShapes(topology, height, width);
  const clone = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON as never);
  clone.setWeights(model.getWeights());
  return clone;
}
