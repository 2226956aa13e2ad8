/**
 * RGBA pixel buffers, the one image type shared by every face of convscope: tensors and float
 * arrays in [0, 1] (gray or RGB) become 8-bit RGBA that a PNG encoder (Node, sharp) or a canvas
 * (`ImageData`) takes as is. Values are clamped to [0, 1] and rounded to the nearest of 256
 * levels (`round(v * 255)`), so a test can predict every byte.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

/** 8-bit RGBA pixels, row-major, 4 bytes per pixel (the layout of `ImageData`). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The byte for a value in [0, 1] (clamped; NaN becomes 0). */
export function toByte(value: number): number {
  if (!(value > 0)) return 0;
  if (value >= 1) return 255;
  return Math.round(value * 255);
}

/**
 * RGBA from HWC floats in [0, 1] with 1 (gray, replicated), 3 (RGB) or 4 (RGBA) channels.
 *
 * @example rgbaFromFloats(new Float32Array([0, 1]), 2, 1, 1) // pixels black, white
 */
export function rgbaFromFloats(
  values: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): RgbaImage {
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ConvscopeError(`cannot show an image with ${channels} channels; use 1, 3 or 4`);
  }
  if (values.length !== width * height * channels) {
    throw new ConvscopeError(
      `image data has ${values.length} values, expected ${width}x${height}x${channels}`,
    );
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const o = p * 4;
    if (channels === 1) {
      const v = toByte(values[p]);
      data[o] = v;
      data[o + 1] = v;
      data[o + 2] = v;
      data[o + 3] = 255;
    } else {
      const i = p * channels;
      data[o] = toByte(values[i]);
      data[o + 1] = toByte(values[i + 1]);
      data[o + 2] = toByte(values[i + 2]);
      data[o + 3] = channels === 4 ? toByte(values[i + 3]) : 255;
    }
  }
  return { width, height, data };
}

/**
 * RGBA from an image tensor [height, width, 1 | 3] with values in [0, 1] (clamped). Does not
 * dispose the tensor.
 *
 * @example const png = await tensorToRgba(tf.zeros([28, 28, 1])); // a black 28x28 image
 */
export async function tensorToRgba(image: tf.Tensor3D): Promise<RgbaImage> {
  const [height, width, channels] = image.shape;
  return rgbaFromFloats(await image.data(), width, height, channels);
}

/** A `width` x `height` image filled with one color (bytes, alpha 255 unless given). */
export function solidRgba(
  width: number,
  height: number,
  [r, g, b, a = 255]: [number, number, number, number?],
): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let o = 0; o < data.length; o += 4) {
    data[o] = r;
    data[o + 1] = g;
    data[o + 2] = b;
    data[o + 3] = a;
  }
  return { width, height, data };
}

/** The sub-image [x0, x1) x [y0, y1) of `image`, padded with `fill` where it leaves the image. */
export function cropRgba(
  image: RgbaImage,
  [x0, y0, x1, y1]: [number, number, number, number],
  fill: [number, number, number, number?] = [0, 0, 0],
): RgbaImage {
  const out = solidRgba(x1 - x0, y1 - y0, fill);
  for (let y = Math.max(0, y0); y < Math.min(image.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(image.width, x1); x++) {
      const s = (y * image.width + x) * 4;
      const d = ((y - y0) * out.width + (x - x0)) * 4;
      out.data.set(image.data.subarray(s, s + 4), d);
    }
  }
  return out;
}

/** Upscale for viewing one image of side `size`: nearest neighbour to at least 112 px. */
export const viewScale = (size: number): number => Math.max(1, Math.ceil(112 / size));

/** Nearest-neighbour upscale by an integer factor. */
export function upscale(image: RgbaImage, scale: number): RgbaImage {
  if (scale === 1) return image;
  const width = image.width * scale;
  const height = image.height * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 4;
      data.set(image.data.subarray(s, s + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}
