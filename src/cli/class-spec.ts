/**
 * `--class SPEC` of `classes` and `attribute`: the class grammar of core run-items.ts (`all`,
 * ranges, indices and names, `0-3,Bag,ankle boot`, in the order given, each once) on a model.
 * Without `--class`, `classes` draws the first few classes (`DEFAULT_CLASSES`): a 1000-class
 * model's `all` would be a long run, and the first ten show what the command does.
 */
import type { VisModel } from '../core/models/vis-model.js';
import { parseClassSpec as parseClasses } from '../core/run/run-items.js';

/** How many classes `classes` draws without `--class`. */
export const DEFAULT_CLASSES = 10;

/** `0-9`, or every class of a model with fewer. */
export function defaultClassSpec(classes: number): string {
  return `0-${Math.min(DEFAULT_CLASSES, classes) - 1}`;
}

/**
 * @example parseClassSpec(model, '0-2,Bag') // [0, 1, 2, 8] on the embedded model
 */
export function parseClassSpec(model: VisModel, spec: string): number[] {
  model.requireClassifier('a class target');
  return parseClasses(spec, model.classes, model.labels);
}
