/**
 * RGBA images on canvases: drawn at their own resolution and scaled by CSS with
 * `image-rendering: pixelated` (a 28 px filter image stays crisp at 140 px), upscaled copies
 * for downloads, and PNG bytes of a canvas.
 */
import type { Rgba } from '../bridge/protocol.js';

/** Draws `image` into `canvas` (resizing it to the image). */
export function drawRgba(canvas: HTMLCanvasElement, image: Rgba): void {
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  const data = new ImageData(new Uint8ClampedArray(image.data), image.width, image.height);
  canvas.getContext('2d')!.putImageData(data, 0, 0);
}

/** A canvas showing `image`, `display` CSS pixels wide. */
export function rgbaCanvas(image: Rgba, display: number, className = 'pixels'): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.className = className;
  canvas.style.width = `${display}px`;
  drawRgba(canvas, image);
  return canvas;
}

/** `image` upscaled by an integer factor with nearest neighbour (so it is at least `min` px). */
export function upscale(image: Rgba, min = 112): Rgba {
  const factor = Math.max(1, Math.ceil(min / Math.max(image.width, image.height)));
  if (factor === 1) return image;
  const width = image.width * factor;
  const height = image.height * factor;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * 4;
      data.set(image.data.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** PNG bytes of an image (upscaled for small images). */
export async function pngBytes(image: Rgba): Promise<Uint8Array> {
  const big = upscale(image);
  const canvas = new OffscreenCanvas(big.width, big.height);
  canvas
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(big.data), big.width, big.height), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return new Uint8Array(await blob.arrayBuffer());
}

/** Offers bytes as a file download. */
export function download(name: string, bytes: Uint8Array | string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
