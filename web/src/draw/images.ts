/**
 * RGBA images on canvases: drawn at their own resolution and scaled by CSS with
 * `image-rendering: pixelated` (a 28 px filter image stays crisp at 140 px), upscaled copies
 * for downloads, and PNG bytes of a canvas.
 */
import { upscale, viewScale } from '../../../src/core/image/rgba.js';
import type { Rgba } from '../bridge/protocol.js';

/** A decoded bitmap's pixels at `width` x `height` (page or worker: OffscreenCanvas). */
export function bitmapRgba(bitmap: ImageBitmap, width: number, height: number): Rgba {
  const g = new OffscreenCanvas(width, height).getContext('2d')!;
  g.drawImage(bitmap, 0, 0, width, height);
  return { width, height, data: g.getImageData(0, 0, width, height).data };
}

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

/** `image` upscaled (nearest neighbour, integer factor) to at least 112 px, as the CLI's PNGs. */
export const upscaleForView = (image: Rgba): Rgba =>
  upscale(image, viewScale(Math.max(image.width, image.height)));

/** PNG bytes of an image (upscaled for small images). */
export async function pngBytes(image: Rgba): Promise<Uint8Array> {
  const big = upscaleForView(image);
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
