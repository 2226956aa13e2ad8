/**
 * Images at the bridge: RGBA from the page becomes the model's input tensor (centre square
 * crop, bilinear resize to the input size, gray as the mean of R, G, B), and tensors or
 * float batches go back as RGBA with their buffers ready to transfer.
 */
import * as tf from '@tensorflow/tfjs';
import { rgbaFromFloats } from '../../../src/core/image/rgba.js';
import type { ImageBatch } from '../../../src/core/optimize/maximize.js';
import type { Rgba } from '../bridge/protocol.js';

/** [height, width, channels] in [0, 1] for a model input of that shape. */
export function toInput(image: Rgba, height: number, width: number, channels: number): tf.Tensor3D {
  return tf.tidy(() => {
    const pixels = tf.tensor3d(new Float32Array(image.data), [image.height, image.width, 4]);
    const side = Math.min(image.height, image.width);
    const y = Math.floor((image.height - side) / 2);
    const x = Math.floor((image.width - side) / 2);
    const square = tf.slice(pixels, [y, x, 0], [side, side, 3]);
    const resized = tf.image.resizeBilinear(square, [height, width], false, true);
    const unit = tf.div(resized, 255);
    return (channels === 1 ? tf.mean(unit, 2, true) : unit) as tf.Tensor3D;
  });
}

/** Image i of a batch as RGBA. */
export function batchImage(batch: ImageBatch, i: number): Rgba {
  const [, h, w, c] = batch.shape;
  const n = h * w * c;
  return rgbaFromFloats(batch.data.subarray(i * n, (i + 1) * n), w, h, c);
}

/** An [h, w, c] tensor in [0, 1] as RGBA. */
export async function tensorRgba(image: tf.Tensor3D): Promise<Rgba> {
  const [h, w, c] = image.shape;
  return rgbaFromFloats((await image.data()) as Float32Array, w, h, c);
}

/** The buffers of some images, for postMessage's transfer list. */
export const buffersOf = (images: Rgba[]): ArrayBuffer[] => [
  ...new Set(images.map((i) => i.data.buffer as ArrayBuffer)),
];
