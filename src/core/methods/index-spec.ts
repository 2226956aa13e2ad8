/**
 * Index lists as people type them on a command line or in a form: `0-7`, `3,9,12`, `all`,
 * `0-3,10`. Parsed against a count so an out-of-range index is an error that says the range.
 */
import { ConvscopeError } from '../errors.js';

/**
 * The indices named by `spec` (in the order written, duplicates removed) within [0, count);
 * `owner` (e.g. "layer 'conv1'") makes the out-of-range error say whose indices they are.
 *
 * @example parseIndexSpec('0-2,5', 8, 'filter') // [0, 1, 2, 5]
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
    for (const i of [lo, hi]) {
      if (i >= count) {
        throw new ConvscopeError(
          `${what} ${i} is out of range; ${owner ? `${owner} has ${count} ${what}s` : `there are ${count}`} (0-${count - 1})`,
        );
      }
    }
    for (let i = lo; i <= hi; i++) if (!out.includes(i)) out.push(i);
  }
  return out;
}
