/**
 * Image files in and out, with sharp: decode JPEG, PNG, WebP, GIF, TIFF or AVIF of any size to
 * the model's input (resize + center crop, gray or RGB, values in [0, 1]), expand directories,
 * and report an image that will not decode with its path and the decoder's own reason (a
 * folder, an image over the pixel limit, a truncated file).
 */
import sharp from 'sharp';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { withOwnError } from './vips-errors.js';

export const IMAGE_EXTENSIONS = [
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
];

export type Fit = 'cover' | 'fill' | 'contain';

export interface ImageSize {
  height: number;
  width: number;
  channels: number;
}

/** Files named by `inputs`, with each directory replaced by its image files (sorted). */
export async function expandImagePaths(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (!info) throw new ConvscopeError(`image not found: ${input}`);
    if (!info.isDirectory()) {
      files.push(input);
      continue;
    }
    const names = (await readdir(input)).filter((n) =>
      IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase()),
    );
    if (names.length === 0) {
      throw new ConvscopeError(
        `no images in ${input}`,
        `convscope reads ${IMAGE_EXTENSIONS.join(', ')} files`,
      );
    }
    files.push(...names.sort().map((n) => path.join(input, n)));
  }
  return files;
}

/**
 * The most pixels an input image may have: 2^30 (1 gigapixel, e.g. 32768 x 32768), four times
 * sharp's default. Decoding streams through the resize to the model's input, so a 20000 x
 * 20000 PNG takes about a second and 170 MB; the limit only stops decompression bombs.
 */
export const MAX_IMAGE_PIXELS = 2 ** 30;

/** The ConvscopeError for a file sharp would not decode, in words. */
async function decodeError(file: string, error: Error): Promise<ConvscopeError> {
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    return new ConvscopeError(
      `${file} is a folder, not an image`,
      'give one image file (predict, evaluate and patches take folders)',
    );
  }
  if (/pixel limit/i.test(error.message)) {
    const meta = await sharp(file, { limitInputPixels: false })
      .metadata()
      .catch(() => null);
    const dimensions = meta?.width && meta.height ? ` is ${meta.width}x${meta.height} px and` : '';
    return new ConvscopeError(
      `image ${file}${dimensions} exceeds the pixel limit of ${MAX_IMAGE_PIXELS} (2^30, e.g. 32768x32768)`,
      'downscale it first',
    );
  }
  return new ConvscopeError(
    `cannot decode image ${file}: ${error.message}`,
    `is it a ${IMAGE_EXTENSIONS.join('/')} file?`,
  );
}

/**
 * Decodes an image and fits it to `size` (cover: resize the short side, crop the center; fill:
 * stretch; contain: letterbox on black). Returns HWC floats in [0, 1].
 */
export async function loadImage(
  file: string,
  size: ImageSize,
  fit: Fit = 'cover',
): Promise<Float32Array> {
  const decode = () => {
    let image = sharp(file, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS })
      .rotate()
      .removeAlpha();
    image = image.resize(size.width, size.height, { fit, position: 'centre', background: '#000' });
    if (size.channels === 1) image = image.grayscale();
    return image
      .toColourspace(size.channels === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer();
  };
  let pixels: Buffer;
  try {
    pixels = await withOwnError(decode);
  } catch (error) {
    throw await decodeError(file, error as Error);
  }
  const expected = size.height * size.width * size.channels;
  if (pixels.length !== expected) {
    throw new ConvscopeError(
      `cannot decode image ${file}: got ${pixels.length} values, expected ${expected}`,
    );
  }
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i++) out[i] = pixels[i] / 255;
  return out;
}
