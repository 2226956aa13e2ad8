/**
 * A picture of receptive fields: the input image (as the model sees it, upscaled) with the box
 * of the center unit of each chosen layer drawn on it, one color per layer, with a legend.
 */
import sharp from 'sharp';
import type { LayerNode } from '../core/models/layer-graph.js';
import { receptiveBox } from '../core/models/receptive-field.js';
import { writeBytesAtomic } from './atomic-write.js';

const COLORS = [
  '#e6194b',
  '#3cb44b',
  '#ffe119',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#fabed4',
];

export interface FieldBox {
  layer: string;
  color: string;
  /** [x0, y0, x1, y1) in model-input pixels. */
  box: [number, number, number, number];
}

/** Boxes of the center unit of each spatial layer with a receptive field. */
export function centerBoxes(layers: LayerNode[], height: number, width: number): FieldBox[] {
  return layers
    .filter((n) => n.receptiveField && n.spatial && n.kind !== 'InputLayer')
    .map((n, i) => {
      const [h, w] = n.outputShape as number[];
      const box = receptiveBox(
        n.receptiveField!,
        Math.floor((h - 1) / 2),
        Math.floor((w - 1) / 2),
        height,
        width,
      );
      return { layer: n.name, color: COLORS[i % COLORS.length], box };
    });
}

/**
 * Writes a PNG: `pixels` (HWC in [0, 1], the model input) scaled by `scale`, the boxes drawn
 * on it, and a legend below.
 */
export async function drawReceptiveFields(
  pixels: Float32Array,
  size: { height: number; width: number; channels: number },
  boxes: FieldBox[],
  out: string,
  scale = Math.max(1, Math.ceil(336 / Math.max(size.height, size.width))),
): Promise<void> {
  const width = size.width * scale;
  const height = size.height * scale;
  const legendHeight = 18 * boxes.length + 10;
  const bytes = Buffer.from(pixels.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const image = await sharp(bytes, {
    raw: { width: size.width, height: size.height, channels: size.channels as 1 | 3 },
  })
    .resize(width, height, { kernel: 'nearest' })
    .toColourspace('srgb')
    .png()
    .toBuffer();
  const rects = boxes
    .map(({ color, box: [x0, y0, x1, y1] }) => {
      const pad = 1.5;
      return `<rect x="${x0 * scale + pad}" y="${y0 * scale + pad}" width="${(x1 - x0) * scale - 2 * pad}" height="${(y1 - y0) * scale - 2 * pad}" fill="none" stroke="${color}" stroke-width="3"/>`;
    })
    .join('');
  const legend = boxes
    .map(({ layer, color, box: [x0, y0, x1, y1] }, i) => {
      const y = height + 18 * i + 16;
      return `<rect x="6" y="${y - 11}" width="12" height="12" fill="${color}"/><text x="24" y="${y}" font-family="sans-serif" font-size="13" fill="#222">${layer}: ${x1 - x0}x${y1 - y0} px</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legendHeight}">${rects}${legend}</svg>`;
  const png = await sharp({
    create: { width, height: height + legendHeight, channels: 3, background: '#ffffff' },
  })
    .composite([
      { input: image, top: 0, left: 0 },
      { input: Buffer.from(svg), top: 0, left: 0 },
    ])
    .png()
    .toBuffer();
  await writeBytesAtomic(out, png);
}
