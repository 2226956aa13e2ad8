/**
 * `--diversity N` on the node side: a run's items become N facets each (file stems
 * `<stem>_d<j>`, in the order `maximize` expands objectives, unit-major), and each facet's
 * unit activation is measured again without the diversity term, which the optimized
 * objective includes (captions, dead units and the manifest report the unit itself).
 */
import type { VisModel } from '../core/models/vis-model.js';
import type { ImageBatch } from '../core/optimize/maximize.js';
import { unitScores as scoreUnits } from '../core/optimize/unit-scores.js';
import { facetItems } from '../core/run/run-items.js';
import type { VisualizeItem } from './visualize-item.js';

/** A visualized item, with its facet number under `--diversity`. */
export type FacetItem = VisualizeItem;

/** Each item N times (unit-major), or the items as they are for N <= 1 (core run-items.ts). */
export { facetItems };

/** Each image's own objective without the diversity term (core unit-scores.ts). */
export function unitScores(
  model: VisModel,
  items: VisualizeItem[],
  best: ImageBatch,
): Promise<number[]> {
  return scoreUnits(
    model,
    items.map((item) => item.spec),
    best,
  );
}
