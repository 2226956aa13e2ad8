/**
 * `convscope classes [--class SPEC]`: what the network "thinks a class looks like": activation
 * maximization of class logits (pre-softmax), one image per class, with each image's softmax
 * probability for its class in the manifest.
 */
import type { Command } from 'commander';
import { defaultPresetFor } from '../../core/optimize/presets.js';
import { classItems } from '../../core/run/run-items.js';
import { DEFAULT_CLASSES, defaultClassSpec, parseClassSpec } from '../class-spec.js';
import { action, setUp, withModelOptions } from '../common.js';
import { runMaximize, withMaximizeOptions, type MaximizeCliOptions } from '../maximize-options.js';
import { checkObjectiveAlone, objectiveItems, withObjectiveOption } from '../objective-option.js';

interface ClassesOptions extends MaximizeCliOptions {
  class?: string;
  objective?: string;
}

export { parseClassSpec };

export function addClassesCommand(program: Command): void {
  const command = program
    .command('classes')
    .description('synthesize the image each class scores highest (class visualization)')
    .option(
      '--class <spec>',
      `classes: all, 0-9, 3,7 or names (comma-separated); default: the first ${DEFAULT_CLASSES} (0-${DEFAULT_CLASSES - 1}, or all of a model with fewer)`,
    );
  withMaximizeOptions(
    withModelOptions(withObjectiveOption(command), { seed: true, ownSize: true }),
    'classes-out',
    null,
  ).action(
    action(async (options: ClassesOptions) => {
      const { model, backend, engine } = await setUp(options);
      model.requireClassifier('classes');
      // Gray models (the embedded one) give silhouettes with the mean-image prior; RGB
      // models (VGG) the Lucid look.
      options.preset ??= defaultPresetFor('classes', model.input.channels);
      try {
        if (options.objective !== undefined) {
          checkObjectiveAlone({ class: options.class });
          const list = await objectiveItems(model, options.objective);
          // A probability is the softmax of a class: only when every objective is one.
          const classesOnly = list.every((item) => item.spec.kind === 'class');
          await runMaximize(model, backend, engine, list, options, classesOnly);
          return;
        }
        const spec = options.class ?? defaultClassSpec(model.classes);
        const list = classItems(spec, model.classes, model.labels);
        await runMaximize(model, backend, engine, list, options, true);
      } finally {
        model.dispose();
      }
    }),
  );
}
