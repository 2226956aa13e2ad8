/**
 * Index lists as people type them on a command line or in a form: `0-7`, `3,9,12`, `all`,
 * `0-3,10`. Parsed against a count so an out-of-range index is an error that says the range;
 * `channelIndex` is the same check for one channel of a layer, used by every method that takes
 * one. Every channel list and check says `channel` (`filter` only for kernels: weights views).
 */
import { ConvscopeError } from '../errors.js';

/**
 * The indices named by `spec` (in the order written, duplicates removed) within [0, count);
 * `owner` (e.g. "layer 'conv1'") makes the out-of-range error say whose indices they are.
 *
 * @example parseIndexSpec('0-2,5', 8, 'channel') // [0, 1, 2, 5]
 */
export function parseIndexSpec(
  spec: string,
  count: number,
  what = 'index',
  owner?: string,
): number[] {
  const text = spec.trim().toLowerCase();
  if (text === 'all') return Array.from({ length: count }, (_, i) => i);
  const out: number[] = [];
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part.trim());
    if (!match) {
      throw new ConvscopeError(`cannot read ${what} list '${spec}'`, 'use e.g. 0-7, 3,9,12 or all');
    }
    const lo = Number(match[1]);
    const hi = match[2] === undefined ? lo : Number(match[2]);
    if (hi < lo) {
      throw new ConvscopeError(`range ${lo}-${hi} is backwards; did you mean ${hi}-${lo}?`);
    }
    for (const i of [lo, hi]) if (i >= count) throw outOfRange(what, i, count, owner);
    for (let i = lo; i <= hi; i++) if (!out.includes(i)) out.push(i);
  }
  return out;
}

/** The one wording of an index past its count: `channel 9 is out of range; layer 'c' has 4 channels (0-3)`. */
function outOfRange(what: string, index: number, count: number, owner?: string): ConvscopeError {
  return new ConvscopeError(
    `${what} ${index} is out of range; ${owner ? `${owner} has ${count} ${what}s` : `there are ${count}`} (0-${count - 1})`,
  );
}

/**
 * `index` when it names one of the layer's channels (an integer in [0, channels)); otherwise the
 * error every method gives. `what` is `filter` only where the index picks a kernel (weights).
 *
 * @example channelIndex({ name: 'conv1', channels: 4 }, 2) // 2
 */
export function channelIndex(
  layer: { name: string; channels?: number | null },
  index: number,
  what: 'channel' | 'filter' = 'channel',
): number {
  const count = layer.channels ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw outOfRange(what, index, count, `layer '${layer.name}'`);
  return index;
}
