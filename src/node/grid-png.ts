/**
 * Labeled image grids as PNG files: the figure every convscope method writes (kernels, feature
 * maps, patches, attributions). Tiles are upscaled with nearest neighbour so single units stay
 * visible, laid out in rows with a gap, a caption under each tile, optional row labels on the
 * left and a title on top. Pixels are placed in JavaScript (exact, testable); only the text is
 * drawn by sharp from SVG. Files are written atomically (temp file + rename), parents created.
 */
import sharp from 'sharp';
import { upscale, viewScale, type RgbaImage } from '../core/image/rgba.js';
import { writeBytesAtomic } from './atomic-write.js';

export interface GridTile {
  image: RgbaImage;
  label?: string;
}

export interface GridOptions {
  /** Tiles per row (default: rowLabels' row count decides, else a near-square grid). */
  columns?: number;
  /** Nearest-neighbour upscale of each tile (default: so that tiles are at least 64 px). */
  scale?: number;
  /** Pixels between tiles and around the grid (default 4). */
  gap?: number;
  title?: string;
  /** One label per row, drawn left of the row. */
  rowLabels?: string[];
  /** CSS hex color, `#rgb` or `#rrggbb` (default white). */
  background?: string;
}

/** Smallest size a tile is shown at by default, so 28 px tiles and their captions stay legible. */
export const MIN_TILE_PX = 64;
const LABEL_FONT = 11;
const LABEL_HEIGHT = 16;
const TITLE_FONT = 14;
const TITLE_HEIGHT = 24;
const ROW_FONT = 12;

function parseColor(color: string): [number, number, number] {
  const hex = color.replace(/^#/, '');
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  if (!/^[0-9a-f]{6}$/i.test(full)) return [255, 255, 255];
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

/** Text made safe for SVG content and attributes. */
export const escapeXml = (text: string): string =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** `text` cut (with an ellipsis) to fit `width` px at `font` px sans-serif (0.6 em a character). */
function fit(text: string, width: number, font: number): string {
  const max = Math.max(1, Math.floor(width / (font * 0.6)));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

export { upscale, viewScale };

/** PNG bytes of an RGBA image, upscaled by `scale` (nearest neighbour, default 1). */
export async function encodePng(image: RgbaImage, scale = 1): Promise<Buffer> {
  const big = upscale(image, Math.max(1, Math.round(scale)));
  return sharp(Buffer.from(big.data.buffer, big.data.byteOffset, big.data.byteLength), {
    raw: { width: big.width, height: big.height, channels: 4 },
  })
    .png()
    .toBuffer();
}

/** PNG bytes of the grid (see `writeGridPng`). */
export async function renderGridPng(tiles: GridTile[], options: GridOptions = {}): Promise<Buffer> {
  const count = Math.max(1, tiles.length);
  const rowsWanted = options.rowLabels?.length;
  const columns = Math.max(
    1,
    options.columns ?? (rowsWanted ? Math.ceil(count / rowsWanted) : Math.ceil(Math.sqrt(count))),
  );
  const rows = Math.max(Math.ceil(tiles.length / columns), rowsWanted ?? 0, 1);
  const largest = Math.max(1, ...tiles.map((t) => Math.max(t.image.width, t.image.height)));
  const scale = Math.max(1, Math.round(options.scale ?? Math.ceil(MIN_TILE_PX / largest)));
  const gap = Math.max(0, Math.round(options.gap ?? 4));
  const labelHeight = tiles.some((t) => t.label) ? LABEL_HEIGHT : 0;
  const cellWidth = Math.max(1, ...tiles.map((t) => t.image.width * scale));
  const cellHeight = Math.max(1, ...tiles.map((t) => t.image.height * scale));
  const longestRow = Math.max(0, ...(options.rowLabels ?? []).map((l) => l.length));
  const left = options.rowLabels ? Math.min(240, Math.ceil(longestRow * ROW_FONT * 0.6) + 8) : 0;
  const top = options.title ? TITLE_HEIGHT : 0;
  const titleWidth = options.title ? Math.ceil(options.title.length * TITLE_FONT * 0.62) + 8 : 0;
  const width = Math.max(left + columns * cellWidth + (columns + 1) * gap, titleWidth);
  const height = top + rows * (cellHeight + labelHeight) + (rows + 1) * gap;
  const background = parseColor(options.background ?? '#ffffff');
  const canvas = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) canvas.set(background, p * 3);

  const texts: string[] = [];
  const ink = background.reduce((a, b) => a + b, 0) > 384 ? '#222' : '#eee';
  for (const [i, tile] of tiles.entries()) {
    const big = upscale(tile.image, scale);
    const cellX = left + gap + (i % columns) * (cellWidth + gap);
    const cellY = top + gap + Math.floor(i / columns) * (cellHeight + labelHeight + gap);
    const x0 = cellX + Math.floor((cellWidth - big.width) / 2);
    const y0 = cellY + Math.floor((cellHeight - big.height) / 2);
    for (let y = 0; y < big.height; y++) {
      for (let x = 0; x < big.width; x++) {
        const s = (y * big.width + x) * 4;
        const d = ((y0 + y) * width + x0 + x) * 3;
        const alpha = big.data[s + 3] / 255;
        for (let k = 0; k < 3; k++) {
          canvas[d + k] = Math.round(big.data[s + k] * alpha + background[k] * (1 - alpha));
        }
      }
    }
    if (tile.label) {
      const text = escapeXml(fit(tile.label, cellWidth + gap, LABEL_FONT));
      texts.push(
        `<text x="${cellX + cellWidth / 2}" y="${cellY + cellHeight + LABEL_FONT + 1}" text-anchor="middle" font-size="${LABEL_FONT}">${text}</text>`,
      );
    }
  }
  for (const [r, label] of (options.rowLabels ?? []).entries()) {
    const y = top + gap + r * (cellHeight + labelHeight + gap) + cellHeight / 2 + ROW_FONT / 2 - 1;
    texts.push(
      `<text x="${left - 4}" y="${y}" text-anchor="end" font-size="${ROW_FONT}">${escapeXml(fit(label, left - 6, ROW_FONT))}</text>`,
    );
  }
  if (options.title) {
    texts.push(
      `<text x="${gap + 2}" y="${TITLE_FONT + 4}" font-size="${TITLE_FONT}" font-weight="bold">${escapeXml(fit(options.title, width - gap, TITLE_FONT))}</text>`,
    );
  }
  let image = sharp(canvas, { raw: { width, height, channels: 3 } });
  if (texts.length > 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="sans-serif" fill="${ink}">${texts.join('')}</g></svg>`;
    image = image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  return image.png().toBuffer();
}

/**
 * Writes tiles as one labeled PNG grid.
 *
 * @example await writeGridPng('maps.png', tiles, { columns: 8, title: 'block1_conv1' });
 */
export async function writeGridPng(
  file: string,
  tiles: GridTile[],
  options: GridOptions = {},
): Promise<void> {
  await writeBytesAtomic(file, await renderGridPng(tiles, options));
}
