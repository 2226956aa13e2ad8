/**
 * The grid of an activation-maximization run, as a reader needs it: a title that says what was
 * maximized (a filter's channel mean, its center neuron, or a class logit), captions with the
 * filter and its best activation or the class name and probability, and a note naming dead
 * filters (activation 0 throughout: the ReLU passed no gradient, so their images show nothing
 * of them) rather than leaving flat gray tiles unexplained.
 */
import type { ObjectiveSpec } from '../core/objectives/objective-spec.js';
import type { GridOptions } from './grid-png.js';

/** What the grid needs of an item (a VisualizeItem). */
export interface GridItem {
  spec: ObjectiveSpec;
  index: number;
  layer?: string;
  label?: string;
}

/** Row labels and columns for the grid: one row per layer (filters) or 10 per row (classes). */
export function gridLayout(items: GridItem[]): { rowLabels?: string[]; columns: number } {
  const layers = [...new Set(items.map((i) => i.layer))];
  if (layers.length > 1 && layers.every(Boolean)) {
    const perLayer = Math.max(...layers.map((l) => items.filter((i) => i.layer === l).length));
    return { rowLabels: layers as string[], columns: perLayer };
  }
  return { columns: Math.min(items.length, items.length <= 10 ? items.length : 8) };
}

/** An objective that is not one unit or class (`--objective`): captioned by its expression. */
const composite = (item: GridItem) => !['channel', 'neuron', 'class'].includes(item.spec.kind);

/** What was maximized, for the title: a neuron run must not read like a channel run. */
export function objectiveText(items: GridItem[]): string {
  if (items.some(composite)) return '--objective';
  const kinds = new Set(items.map((i) => i.spec.kind));
  if (kinds.size > 1) return 'mixed objectives';
  const spec = items[0]?.spec;
  if (spec?.kind === 'neuron') {
    const at = spec.y === undefined ? 'center' : `(${spec.y}, ${spec.x})`;
    return `${at} neuron of each filter`;
  }
  return spec?.kind === 'class' ? 'class logits' : "mean of each filter's channel";
}

/** A filter whose activation never rose above 0: ReLU passed no gradient to its image. */
const isDead = (item: GridItem, best: number) =>
  (item.spec.kind === 'channel' || item.spec.kind === 'neuron') && !(best > 0);

/** The caption under a tile: filter and activation, or class name and probability. */
export function caption(item: GridItem, best: number, probability?: number): string {
  // --objective items are named by their expression (a class by its name).
  const expression = composite(item) || (item.label !== undefined && item.spec.kind !== 'class');
  const name = expression
    ? // One term a line: a tile is narrower than most expressions.
      `${(item.label ?? '').replace(/ ([+-]) /g, '\n$1 ')}\n`
    : (item.label ?? (item.spec.kind === 'class' ? `class ${item.index}` : `${item.index}`));
  if (probability !== undefined) return `${name}\np = ${probability.toFixed(3)}`;
  return isDead(item, best) ? `${name} dead (a=0)` : `${name} a=${best.toPrecision(3)}`;
}

/** Notes under the grid: which filters are dead and why their tiles are flat. */
export function deadNotes(items: GridItem[], best: number[]): string[] {
  const dead = items.filter((item, i) => isDead(item, best[i]));
  if (dead.length === 0) return [];
  const names = dead.map((d) => (d.layer ? `${d.layer} ${d.index}` : `${d.index}`)).join(', ');
  return [`dead: activation 0 at every step, so their tiles show nothing of the filter: ${names}`];
}

/**
 * Options of `grid.png`: layout (a row per layer, or 10 classes a row), title and notes.
 *
 * @example writeGridPng('grid.png', tiles, visualizeGrid('embedded', items, best, 'lucid, 512 steps', { scale: 4 }));
 */
export function visualizeGrid(
  modelName: string,
  items: GridItem[],
  best: number[],
  settingsText: string,
  options: { scale: number; probability?: number[] },
): GridOptions {
  const layers = [...new Set(items.map((i) => i.layer))];
  const where =
    items.every((i) => !i.layer) || items.some(composite)
      ? undefined
      : layers.length === 1
        ? layers[0]
        : 'last conv of each block';
  return {
    ...gridLayout(items),
    scale: options.scale,
    title: [modelName, where, objectiveText(items), settingsText].filter(Boolean).join(' · '),
    notes: [
      ...deadNotes(items, best),
      ...(options.probability
        ? ['p: the probability the model gives the class for this image']
        : []),
    ],
  };
}
