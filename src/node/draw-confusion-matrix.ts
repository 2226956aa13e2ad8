/**
 * Draws a confusion matrix as a PNG heatmap: cells coloured on a square-root scale (so that a
 * few dozen confusions stay visible beside hundreds of hits), the count printed in each cell,
 * class names on both axes and a colour bar. Pixels are computed here; text comes from an SVG
 * overlay rendered by sharp. Written atomically (temp file, then rename).
 */
import sharp from 'sharp';
import { writeBytesAtomic } from './atomic-write.js';
import { escapeXml } from './grid-png.js';

// A sequential "Blues" colour map (white to dark blue), interpolated linearly in RGB.
const BLUES = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

function colour(t: number): number[] {
  const x = Math.min(Math.max(t, 0), 1) * (BLUES.length - 1);
  const i = Math.min(Math.floor(x), BLUES.length - 2);
  const f = x - i;
  return BLUES[i].map((c, k) => Math.round(c + (BLUES[i + 1][k] - c) * f));
}

/**
 * Renders `matrix` (rows: true class, columns: predicted) with `classes` as axis labels.
 * @example await drawConfusionMatrix(result.confusion, labels, 'confusion.png', 'Test set')
 */
export async function drawConfusionMatrix(
  matrix: number[][],
  classes: readonly string[],
  file: string,
  title = 'Confusion matrix',
): Promise<void> {
  const n = matrix.length;
  const cell = n <= 12 ? 52 : Math.max(8, Math.floor(624 / n));
  const showCounts = cell >= 30;
  const longest = Math.max(...classes.map((c) => c.length));
  const margin = Math.min(260, 30 + longest * 8);
  const [left, top] = [margin, 60];
  const size = cell * n;
  const [barX, barWidth] = [left + size + 30, 22];
  const [width, height] = [barX + barWidth + 60, top + size + margin - 32];
  const max = Math.max(1, ...matrix.flat());
  const scale = (v: number) => Math.sqrt(v / max);
  const rgb = Buffer.alloc(width * height * 3, 255);
  const fill = (x0: number, y0: number, w: number, h: number, c: number[]) => {
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) rgb.set(c, (y * width + x) * 3);
    }
  };
  const text: string[] = [];
  const label = (x: number, y: number, s: string | number, extra = '') =>
    text.push(`<text x="${x}" y="${y}" ${extra}>${escapeXml(String(s))}</text>`);
  matrix.forEach((row, r) =>
    row.forEach((v, c) => {
      fill(left + c * cell + 1, top + r * cell + 1, cell - 2, cell - 2, colour(scale(v)));
      if (!showCounts) return;
      const ink = scale(v) > 0.55 ? 'fill="#fff"' : '';
      label(
        left + c * cell + cell / 2,
        top + r * cell + cell / 2 + 5,
        v,
        `text-anchor="middle" ${ink}`,
      );
    }),
  );
  for (let y = 0; y < size; y++) fill(barX, top + y, barWidth, 1, colour(1 - y / (size - 1)));
  for (const tick of [0, 10, 50, 100, 250, 500, 1000, 5000].filter((t) => t <= max)) {
    const y = Math.round(top + (1 - scale(tick)) * (size - 1));
    fill(barX + barWidth, y, 5, 1, [0, 0, 0]);
    label(barX + barWidth + 8, y + 5, tick);
  }
  if (showCounts || n <= 40) {
    classes.forEach((name, i) => {
      label(left - 8, top + i * cell + cell / 2 + 5, name, 'text-anchor="end"');
      const x = left + i * cell + cell / 2 + 4;
      const y = top + size + 10;
      label(x, y, name, `text-anchor="end" transform="rotate(-45 ${x} ${y})"`);
    });
  }
  const mid = top + size / 2;
  label(left + size / 2, 32, title, 'text-anchor="middle" font-size="18" font-weight="bold"');
  label(left + size / 2, height - 12, 'Predicted class', 'text-anchor="middle" font-weight="bold"');
  label(
    22,
    mid,
    'True class',
    `text-anchor="middle" font-weight="bold" transform="rotate(-90 22 ${mid})"`,
  );
  label(barX + barWidth / 2, top - 10, 'count', 'text-anchor="middle" font-size="12"');
  label(
    barX + barWidth / 2,
    top + size + 22,
    '(sqrt scale)',
    'text-anchor="middle" font-size="12"',
  );
  const svg =
    `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" ` +
    `font-family="DejaVu Sans, sans-serif" font-size="14" fill="#111">${text.join('')}</svg>`;
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer();
  await writeBytesAtomic(file, png);
}
