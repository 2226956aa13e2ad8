/**
 * A picture of receptive fields: the input image (as the model sees it, upscaled) with the box
 * of the center unit of each chosen layer drawn on it, one color per layer, with a legend. A
 * field larger than the part of the image it covers (it reaches past the border, where the
 * network sees padding) is drawn clipped, and the legend gives both sizes and says so, so the
 * picture agrees with the `layers` table.
 */
import sharp from 'sharp';
import type { LayerNode } from '../core/models/layer-graph.js';
import { receptiveBox } from '../core/models/receptive-field.js';
import { writeBytesAtomic } from './atomic-write.js';
import { escapeXml } from './svg-text.js';

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
  /** [x0, y0, x1, y1) in model-input pixels, clipped to the image. */
  box: [number, number, number, number];
  /** The whole field, [height, width] in pixels (larger than the box when clipped). */
  size: [number, number];
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
      const size: [number, number] = [
        n.receptiveField!.vertical.size,
        n.receptiveField!.horizontal.size,
      ];
      return { layer: n.name, color: COLORS[i % COLORS.length], box, size };
    });
}

/**
 * The legend line of a box: its field size, and when the border clips it, the part visible.
 *
 * @example legendText(box) // 'block3_conv2: 32x32 px (28x28 visible, clipped at the image border)'
 */
export function legendText({ layer, box: [x0, y0, x1, y1], size: [h, w] }: FieldBox): string {
  const [visibleW, visibleH] = [x1 - x0, y1 - y0];
  const clipped = visibleW < w || visibleH < h;
  return `${layer}: ${h}x${w} px${clipped ? ` (${visibleW}x${visibleH} visible, clipped at the image border)` : ''}`;
}

/** The SVG drawn over the scaled image: the boxes, and the legend under the image. */
export function receptiveFieldsSvg(
  boxes: FieldBox[],
  scale: number,
  width: number,
  height: number,
): string {
  const rects = boxes
    .map(({ color, box: [x0, y0, x1, y1] }) => {
      const pad = 1.5;
      return `<rect x="${x0 * scale + pad}" y="${y0 * scale + pad}" width="${(x1 - x0) * scale - 2 * pad}" height="${(y1 - y0) * scale - 2 * pad}" fill="none" stroke="${color}" stroke-width="3"/>`;
    })
    .join('');
  const legend = boxes
    .map((box, i) => {
      const y = height + 18 * i + 16;
      return `<rect x="6" y="${y - 11}" width="12" height="12" fill="${box.color}"/><text x="24" y="${y}" font-family="sans-serif" font-size="13" fill="#222">${escapeXml(legendText(box))}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legendHeight(boxes)}">${rects}${legend}</svg>`;
}

const legendHeight = (boxes: FieldBox[]) => 18 * boxes.length + 10;

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
  const imageWidth = size.width * scale;
  const height = size.height * scale;
  // The legend may be wider than a small image: 13 px text, about 0.6 em a character.
  const longest = Math.max(0, ...boxes.map((b) => legendText(b).length));
  const width = Math.max(imageWidth, 24 + Math.ceil(longest * 13 * 0.6) + 8);
  const bytes = Buffer.from(pixels.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const image = await sharp(bytes, {
    raw: { width: size.width, height: size.height, channels: size.channels as 1 | 3 },
  })
    .resize(imageWidth, height, { kernel: 'nearest' })
    .toColourspace('srgb')
    .png()
    .toBuffer();
  const svg = receptiveFieldsSvg(boxes, scale, width, height);
  const legendHeightPx = legendHeight(boxes);
  const png = await sharp({
    create: { width, height: height + legendHeightPx, channels: 3, background: '#ffffff' },
  })
    .composite([
      { input: image, top: 0, left: 0 },
      { input: Buffer.from(svg), top: 0, left: 0 },
    ])
    .png()
    .toBuffer();
  await writeBytesAtomic(out, png);
}
