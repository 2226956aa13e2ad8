/**
 * Items of objectives given as specs (typed with `--objective` or in the workbench's objective
 * field), with the same fields as a layer's or a class's items (run-items.ts). Apart from
 * run-items.ts because the expression formatter reads objective specs, which `VisModel` (a
 * run-items.ts user) must not import.
 */
import { LOGITS } from '../models/forward.js';
import { formatObjectiveExpression } from '../objectives/objective-expression.js';
import { networkLayers } from '../objectives/objective-spec.js';
import type { ObjectiveSpec } from '../objectives/spec-types.js';
import type { RunItem } from './run-items.js';

/**
 * Items of typed objectives (`--objective`, the workbench's objective field): unit fields for a
 * channel, neuron or class; captioned by their expression (a class by its name); stems
 * `objective` or `objective_<i>`.
 * @example specItems([{ kind: 'channel', layer: 'block2_conv1', channel: 3 }])[0].stem // 'objective'
 */
export function specItems(specs: readonly ObjectiveSpec[]): RunItem[] {
  return specs.map((spec, i) => {
    const layer = networkLayers(spec).find((l) => l !== LOGITS);
    const index =
      spec.kind === 'channel' || spec.kind === 'neuron'
        ? spec.channel
        : spec.kind === 'class'
          ? spec.index
          : i;
    return {
      spec,
      index,
      ...(spec.kind === 'class' ? {} : layer ? { layer } : {}),
      ...(spec.kind === 'class'
        ? spec.label
          ? { label: spec.label }
          : {}
        : { label: formatObjectiveExpression(spec) }),
      stem: specs.length === 1 ? 'objective' : `objective_${i}`,
    };
  });
}
