/**
 * `convscope classes --class SPEC`: what the network "thinks a class looks like": activation
 * maximization of class logits (pre-softmax), one image per class, with each image's softmax
 * probability for its class in the manifest.
 */
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { parseIndexSpec } from '../../core/methods/index-spec.js';
import type { VisModel } from '../../core/models/vis-model.js';
import { defaultPresetFor } from '../../core/optimize/presets.js';
import { classSlug } from '../../node/datasets/fashion-mnist.js';
import type { VisualizeItem } from '../../node/visualize.js';
import { action, setUp, withModelOptions } from '../common.js';
import { runMaximize, withMaximizeOptions, type MaximizeCliOptions } from '../maximize-options.js';

interface ClassesOptions extends MaximizeCliOptions {
  class: string;
}

/** Class indices from `all`, ranges and names (`0-3,Bag,ankle boot`). */
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

export function addClassesCommand(program: Command): void {
  const command = program
    .command('classes')
    .description('synthesize the image each class scores highest (class visualization)')
    .requiredOption('--class <spec>', 'classes: all, 0-9, 3,7 or names (comma-separated)');
  withMaximizeOptions(withModelOptions(command), 'classes-out', null).action(
    action(async (options: ClassesOptions) => {
      const { model, backend, engine } = await setUp(options);
      model.requireClassifier('classes');
      // Gray models (the embedded one) give silhouettes with the mean-image prior; RGB
      // models (VGG) the Lucid look.
      options.preset ??= defaultPresetFor('classes', model.input.channels);
      try {
        const list: VisualizeItem[] = parseClassSpec(model, options.class).map((k) => {
          const label = model.labels?.[k];
          return {
            spec: { kind: 'class', index: k, label } as const,
            index: k,
            label,
            stem: `class_${k}${label ? `_${classSlug(label)}` : ''}`,
          };
        });
        await runMaximize(model, backend, engine, list, options, true);
      } finally {
        model.dispose();
      }
    }),
  );
}
