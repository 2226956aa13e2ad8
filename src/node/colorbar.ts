/**
 * Colour bars: the key that says which value a color stands for. A bar is a colormap drawn
 * left (0) to right (1) with ticks under it; ticks are positions in [0, 1] with a label, made
 * from a numeric range by `rangeTicks` (min, max, and 0 where it lies inside) or given as words
 * ("min", "max") when every tile has its own range. Bar pixels are placed exactly (column i of
 * a bar w px wide is `colormap(i / (w - 1))`, testable); labels are SVG text for sharp.
 */
import type { Colormap } from '../core/image/colormap.js';
import { escapeXml, fitText } from './svg-text.js';

export interface ColorbarTick {
  /** Position along the bar, 0 (left, colormap(0)) to 1 (right, colormap(1)). */
  at: number;
  label: string;
}

export interface Colorbar {
  colormap: Colormap;
  ticks: ColorbarTick[];
  /** A line above the bar (what the values are). */
  caption?: string;
}

const BAR_HEIGHT = 10;
const TICK_LENGTH = 3;
const TICK_FONT = 10;
const CAPTION_FONT = 11;
const INK: [number, number, number] = [34, 34, 34];

/** Height in px of a drawn bar: caption line, bar, ticks and their labels. */
export const colorbarHeight = (bar: Colorbar): number =>
  (bar.caption ? CAPTION_FONT + 4 : 0) + BAR_HEIGHT + TICK_LENGTH + TICK_FONT + 3;

/**
 * A value as a short label: 3 significant digits, no trailing zeros, exponent form when tiny or
 * large.
 *
 * @example formatValue(0.012345) // '0.0123'; formatValue(-2) // '-2'; formatValue(12345) // '1.23e+4'
 */
export function formatValue(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value === 0 ? 0 : value);
  const magnitude = Math.abs(value);
  const text = magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(2) : value.toPrecision(3);
  const [mantissa, exponent] = text.split('e');
  const trimmed = mantissa.includes('.')
    ? mantissa.replace(/0+$/, '').replace(/\.$/, '')
    : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

/**
 * Ticks for a bar spanning [min, max]: both ends, and 0 where it lies strictly inside.
 *
 * @example rangeTicks(-1, 3) // [{ at: 0, label: '-1' }, { at: 0.25, label: '0' }, { at: 1, label: '3' }]
 */
export function rangeTicks(min: number, max: number): ColorbarTick[] {
  const ticks = [{ at: 0, label: formatValue(min) }];
  if (min < 0 && max > 0) ticks.push({ at: -min / (max - min), label: '0' });
  ticks.push({ at: 1, label: formatValue(max) });
  return ticks;
}

/**
 * Paints `bar` into an RGB canvas (`canvasWidth` px wide, 3 bytes a pixel) with its top-left
 * corner at (x, y) and the given width, and returns the SVG text elements of its labels (the
 * caption cut to `captionWidth`, by default the bar's).
 */
export function paintColorbar(
  canvas: Buffer,
  canvasWidth: number,
  x: number,
  y: number,
  width: number,
  bar: Colorbar,
  captionWidth = width,
): string[] {
  const texts: string[] = [];
  let top = y;
  if (bar.caption) {
    texts.push(
      `<text x="${x}" y="${top + CAPTION_FONT}" font-size="${CAPTION_FONT}">${escapeXml(fitText(bar.caption, captionWidth, CAPTION_FONT))}</text>`,
    );
    top += CAPTION_FONT + 4;
  }
  const set = (px: number, py: number, rgb: readonly number[]) =>
    canvas.set(rgb, (py * canvasWidth + px) * 3);
  for (let i = 0; i < width; i++) {
    const rgb = bar.colormap(width > 1 ? i / (width - 1) : 0);
    for (let row = 0; row < BAR_HEIGHT; row++) set(x + i, top + row, rgb);
  }
  for (const tick of bar.ticks) {
    const at = Math.min(1, Math.max(0, tick.at));
    const tx = x + Math.round(at * (width - 1));
    for (let row = 0; row < TICK_LENGTH; row++) set(tx, top + BAR_HEIGHT + row, INK);
    // End labels align with the bar's ends so they never stick out of it.
    const anchor = at <= 0.02 ? 'start' : at >= 0.98 ? 'end' : 'middle';
    const labelX = anchor === 'start' ? x : anchor === 'end' ? x + width : tx + 0.5;
    texts.push(
      `<text x="${labelX}" y="${top + BAR_HEIGHT + TICK_LENGTH + TICK_FONT}" font-size="${TICK_FONT}" text-anchor="${anchor}">${escapeXml(tick.label)}</text>`,
    );
  }
  return texts;
}
