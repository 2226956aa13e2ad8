/**
 * Text for the SVG layers that sharp draws over figures: escaping, and cutting a line to a
 * width. Widths are estimated at 0.6 em a character (sans-serif digits and lower case), which
 * is what every figure here lays text out with.
 */

/** Text made safe for SVG content and attributes. */
export const escapeXml = (text: string): string =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** Estimated width in px of `text` at `font` px. */
export const textWidth = (text: string, font: number): number =>
  Math.ceil(text.length * font * 0.6);

/**
 * `text` cut (with an ellipsis) to fit `width` px at `font` px sans-serif.
 *
 * @example fitText('block3_conv2', 40, 10) // 'block…'
 */
export function fitText(text: string, width: number, font: number): string {
  const max = Math.max(1, Math.floor(width / (font * 0.6)));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
