/** One image a `visualize` run makes: core run-items.ts's `RunItem` (the web's items are the same). */
export type { RunItem as VisualizeItem } from '../core/run/run-items.js';
