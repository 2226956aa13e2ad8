/**
 * `--class SPEC` of `classes` and `attribute`: class indices from `all`, ranges, indices and
 * names (`0-3,Bag,ankle boot`), in the order given, each once. Without `--class`, `classes`
 * draws the first few classes (`DEFAULT_CLASSES`): a 1000-class model's `all` would be a long
 * run, and the first ten show what the command does.
 */
import { ConvscopeError } from '../core/errors.js';
import { parseIndexSpec } from '../core/methods/index-spec.js';
import type { VisModel } from '../core/models/vis-model.js';

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
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const token = part.trim();
    if (token === '') continue;
    const indices = /^(all|\d+(\s*-\s*\d+)?)$/i.test(token)
      ? parseIndexSpec(token, model.classes, 'class')
      : [model.classIndex(token)];
    for (const i of indices) if (!out.includes(i)) out.push(i);
  }
  if (out.length === 0)
    throw new ConvscopeError(`no classes in '${spec}'`, 'use e.g. all, 0-9 or a class name');
  return out;
}
