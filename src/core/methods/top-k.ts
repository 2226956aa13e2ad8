/**
 * Top-k dataset examples per channel (Zeiler & Fergus; Yosinski's toolbox): for each image and
 * each channel only that image's strongest location counts, and each channel keeps the k best
 * (value, image, y, x) in a bounded sorted list. Order is total, so results never depend on
 * batch boundaries: higher value first, then lower image index, then lower y, then lower x
 * (within an image the strongest location is the first maximum in row-major order).
 */

/** One dataset example of a channel: `image` indexes the scanned file list. */
export interface TopEntry {
  value: number;
  image: number;
  y: number;
  x: number;
}

/** Negative when `a` ranks before `b`. */
export function compareEntries(a: TopEntry, b: TopEntry): number {
  return b.value - a.value || a.image - b.image || a.y - b.y || a.x - b.x;
}

/**
 * Per channel, the strongest location of one image: `values` is one image's HWC map.
 *
 * @example strongestLocations(new Float32Array([1, 5, 3, 2]), 2, 1, 2) // [{3, y 1}, {5, y 0}]
 */
export function strongestLocations(
  values: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
): { value: number; y: number; x: number }[] {
  const best = Array.from({ length: channels }, () => ({ value: -Infinity, y: 0, x: 0 }));
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < channels; c++) {
      const v = values[p * channels + c];
      if (v > best[c].value) best[c] = { value: v, y: Math.floor(p / width), x: p % width };
    }
  }
  return best;
}

/** The k best entries of each channel of one layer. */
export class TopKTracker {
  readonly lists: TopEntry[][];

  constructor(
    readonly channels: number,
    readonly k: number,
    lists?: TopEntry[][],
  ) {
    this.lists = lists ?? Array.from({ length: channels }, () => []);
  }

  /** Offers one entry to a channel's list (kept only if it ranks among the k best). */
  offer(channel: number, entry: TopEntry): void {
    const list = this.lists[channel];
    if (list.length === this.k && compareEntries(entry, list[this.k - 1]) >= 0) return;
    let i = list.length;
    while (i > 0 && compareEntries(entry, list[i - 1]) < 0) i--;
    list.splice(i, 0, entry);
    if (list.length > this.k) list.pop();
  }

  /** Offers one image's map (HWC values) to every channel. */
  addImage(image: number, values: ArrayLike<number>, height: number, width: number): void {
    const best = strongestLocations(values, height, width, this.channels);
    for (let c = 0; c < this.channels; c++) this.offer(c, { image, ...best[c] });
  }
}
