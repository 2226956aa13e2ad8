/**
 * Labeled image grids as PNG files: the figure every convscope method writes (kernels, feature
 * maps, patches, attributions). Tiles are upscaled with nearest neighbour so single units stay
 * visible, laid out in rows with a gap, a caption under each tile, optional row labels on the
 * left and a title on top; optionally a colour bar under each tile or one for the figure, an
 * image beside the grid (the input of a feature-map figure, with its name) and notes under it.
 * Pixels are placed in JavaScript (exact, testable); only the text is drawn by sharp from SVG.
 * Files are written atomically (temp file + rename), parents created.
 */
import sharp from 'sharp';
import { upscale, viewScale, type RgbaImage } from '../core/image/rgba.js';
import { writeBytesAtomic } from './atomic-write.js';
import { colorbarHeight, paintColorbar, type Colorbar } from './colorbar.js';
import { escapeXml, fitText, textWidth } from './svg-text.js';

export interface GridTile {
  image: RgbaImage;
  /** Caption under the tile; `\n` starts another line. */
  label?: string;
  /** A colour bar under the caption (its width is the tile's). */
  colorbar?: Colorbar;
}

export interface GridOptions {
  /** Tiles per row (default: rowLabels' row count decides, else a near-square grid). */
  columns?: number;
  /** Nearest-neighbour upscale of each tile (default: so that tiles are at least 64 px). */
  scale?: number;
  /** Pixels between tiles and around the grid (default 4). */
  gap?: number;
  title?: string;
  /** One label per row, drawn left of the row; `\n` starts another line. */
  rowLabels?: string[];
  /** CSS hex color, `#rgb` or `#rrggbb` (default white). */
  background?: string;
  /** An image left of the grid (upscaled by its own `scale`, default the tiles'), named under it. */
  aside?: { image: RgbaImage; label?: string; scale?: number };
  /** One colour bar for the whole figure, under the grid. */
  colorbar?: Colorbar;
  /** Lines of text under everything else (what a reader must know: dead units, clipping). */
  notes?: string[];
}

/** Smallest size a tile is shown at by default, so 28 px tiles and their captions stay legible. */
export const MIN_TILE_PX = 64;
const LABEL_FONT = 11;
const LABEL_HEIGHT = 16;
const LABEL_LINE = 13;
const TITLE_FONT = 14;
const TITLE_HEIGHT = 24;
const ROW_FONT = 12;
const NOTE_FONT = 11;
const NOTE_HEIGHT = 15;
const FIGURE_BAR_WIDTH = 240;

function parseColor(color: string): [number, number, number] {
  const hex = color.replace(/^#/, '');
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  if (!/^[0-9a-f]{6}$/i.test(full)) return [255, 255, 255];
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

export { escapeXml, upscale, viewScale };

/** Draws `image` (alpha blended over `background`) into an RGB canvas at (x0, y0). */
function blit(
  canvas: Buffer,
  width: number,
  image: RgbaImage,
  x0: number,
  y0: number,
  background: readonly number[],
): void {
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const s = (y * image.width + x) * 4;
      const d = ((y0 + y) * width + x0 + x) * 3;
      const alpha = image.data[s + 3] / 255;
      for (let k = 0; k < 3; k++) {
        canvas[d + k] = Math.round(image.data[s + k] * alpha + background[k] * (1 - alpha));
      }
    }
  }
}

/** PNG bytes of an RGBA image, upscaled by `scale` (nearest neighbour, default 1). */
export async function encodePng(image: RgbaImage, scale = 1): Promise<Buffer> {
  const big = upscale(image, Math.max(1, Math.round(scale)));
  return sharp(Buffer.from(big.data.buffer, big.data.byteOffset, big.data.byteLength), {
    raw: { width: big.width, height: big.height, channels: 4 },
  })
    .png()
    .toBuffer();
}

const text = (x: number, y: number, font: number, content: string, extra = ''): string =>
  `<text x="${x}" y="${y}" font-size="${font}"${extra}>${escapeXml(content)}</text>`;

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
  const labelLines = Math.max(0, ...tiles.map((t) => (t.label ? t.label.split('\n').length : 0)));
  const labelHeight = labelLines > 0 ? LABEL_HEIGHT + (labelLines - 1) * LABEL_LINE : 0;
  const tileBars = tiles.filter((t) => t.colorbar).map((t) => colorbarHeight(t.colorbar!) + 2);
  const barHeight = Math.max(0, ...tileBars);
  const cellWidth = Math.max(1, ...tiles.map((t) => t.image.width * scale));
  const cellHeight = Math.max(1, ...tiles.map((t) => t.image.height * scale));
  const rowHeight = cellHeight + labelHeight + barHeight;
  const rowLines = (options.rowLabels ?? []).flatMap((l) => l.split('\n'));
  const longestRow = Math.max(0, ...rowLines.map((l) => textWidth(l, ROW_FONT)));
  const aside = options.aside && {
    ...options.aside,
    image: upscale(options.aside.image, Math.max(1, Math.round(options.aside.scale ?? scale))),
  };
  const asideWidth = aside
    ? Math.min(Math.max(aside.image.width, textWidth(aside.label ?? '', LABEL_FONT)), 320) + 2 * gap
    : 0;
  const left = asideWidth + (options.rowLabels ? Math.min(240, longestRow + 8) : 0);
  const top = options.title ? TITLE_HEIGHT : 0;
  const gridWidth = columns * cellWidth + (columns + 1) * gap;
  const gridHeight = rows * rowHeight + (rows + 1) * gap;
  const asideHeight = aside ? aside.image.height + (aside.label ? LABEL_HEIGHT : 0) + 2 * gap : 0;
  const bodyHeight = Math.max(gridHeight, asideHeight);
  const figureBar = options.colorbar;
  const figureBarWidth = Math.min(FIGURE_BAR_WIDTH, Math.max(120, gridWidth - 2 * gap));
  const figureBarHeight = figureBar ? colorbarHeight(figureBar) + 6 : 0;
  const notes = options.notes ?? [];
  const width = Math.max(
    left + gridWidth,
    options.title ? textWidth(options.title, TITLE_FONT * 1.04) + 8 : 0,
    figureBar ? left + gap + figureBarWidth + gap : 0,
    figureBar?.caption ? left + gap + textWidth(figureBar.caption, LABEL_FONT) + gap : 0,
    ...notes.map((n) => textWidth(n, NOTE_FONT) + 2 * gap + 4),
  );
  const height =
    top + bodyHeight + figureBarHeight + notes.length * NOTE_HEIGHT + (notes.length ? gap : 0);
  const background = parseColor(options.background ?? '#ffffff');
  const canvas = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) canvas.set(background, p * 3);

  const texts: string[] = [];
  const ink = background.reduce((a, b) => a + b, 0) > 384 ? '#222' : '#eee';
  if (aside) {
    blit(canvas, width, aside.image, gap, top + gap, background);
    if (aside.label) {
      const label = fitText(aside.label, asideWidth - gap, LABEL_FONT);
      const y = top + gap + aside.image.height + LABEL_FONT + 1;
      texts.push(text(gap + aside.image.width / 2, y, LABEL_FONT, label, ' text-anchor="middle"'));
    }
  }
  for (const [i, tile] of tiles.entries()) {
    const big = upscale(tile.image, scale);
    const cellX = left + gap + (i % columns) * (cellWidth + gap);
    const cellY = top + gap + Math.floor(i / columns) * (rowHeight + gap);
    const x0 = cellX + Math.floor((cellWidth - big.width) / 2);
    blit(canvas, width, big, x0, cellY + Math.floor((cellHeight - big.height) / 2), background);
    for (const [j, line] of (tile.label ?? '').split('\n').entries()) {
      const label = fitText(line, cellWidth + gap, LABEL_FONT);
      const y = cellY + cellHeight + LABEL_FONT + 1 + j * LABEL_LINE;
      if (line)
        texts.push(text(cellX + cellWidth / 2, y, LABEL_FONT, label, ' text-anchor="middle"'));
    }
    if (tile.colorbar) {
      const y = cellY + cellHeight + labelHeight + 2;
      texts.push(...paintColorbar(canvas, width, x0, y, big.width, tile.colorbar));
    }
  }
  for (const [r, label] of (options.rowLabels ?? []).entries()) {
    const lines = label.split('\n');
    const middle = top + gap + r * (rowHeight + gap) + cellHeight / 2 + ROW_FONT / 2 - 1;
    for (const [j, line] of lines.entries()) {
      const y = middle + (j - (lines.length - 1) / 2) * (ROW_FONT + 3);
      const content = fitText(line, left - asideWidth - 6, ROW_FONT);
      texts.push(text(left - 4, y, ROW_FONT, content, ' text-anchor="end"'));
    }
  }
  if (options.title) {
    const title = fitText(options.title, width - gap, TITLE_FONT);
    texts.push(text(gap + 2, TITLE_FONT + 4, TITLE_FONT, title, ' font-weight="bold"'));
  }
  if (figureBar) {
    const y = top + bodyHeight + 2;
    const captionWidth = width - left - 2 * gap;
    texts.push(
      ...paintColorbar(canvas, width, left + gap, y, figureBarWidth, figureBar, captionWidth),
    );
  }
  for (const [n, note] of notes.entries()) {
    const y = top + bodyHeight + figureBarHeight + (n + 1) * NOTE_HEIGHT - 3;
    texts.push(text(gap + 2, y, NOTE_FONT, note));
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
