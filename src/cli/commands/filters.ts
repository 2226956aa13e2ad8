/**
 * `convscope filters`: activation maximization of filters (channels) of a layer, one image
 * per filter in one batch. With no `--layer`, the classic figure: the last conv layer of
 * every block, 8 filters each, one row per layer.
 */
import type { Command } from 'commander';
import { lastConvOfEachBlock } from '../../core/methods/feature-maps.js';
import type { VisModel } from '../../core/models/vis-model.js';
import { channelItems } from '../../core/run/run-items.js';
import type { VisualizeItem } from '../../node/visualize.js';
import { action, setUp, withModelOptions } from '../common.js';
import { runMaximize, withMaximizeOptions, type MaximizeCliOptions } from '../maximize-options.js';
import { checkObjectiveAlone, objectiveItems, withObjectiveOption } from '../objective-option.js';

interface FiltersOptions extends MaximizeCliOptions {
  layer?: string;
  filters?: string;
  neuron?: boolean;
  objective?: string;
}

function items(
  model: VisModel,
  layers: string[],
  spec: string | undefined,
  useNeuron: boolean,
): VisualizeItem[] {
  return layers.flatMap((layer) =>
    channelItems(
      layer,
      model.layer(layer).channels ?? 0,
      spec ?? (layers.length > 1 ? '0-7' : '0-15'),
      useNeuron,
    ),
  );
}

export function addFiltersCommand(program: Command): void {
  const command = program
    .command('filters')
    .description('synthesize the image each filter responds to most (activation maximization)')
    .option(
      '--layer <names>',
      'layers, comma-separated (default: the last conv of each block, 8 filters each)',
    )
    .option('--filters <spec>', 'filters: 0-7, 3,9,12 or all (default 0-15, or 0-7 per layer)')
    .option('--neuron', 'maximize the center unit instead of the channel mean')
    .option(
      '--images <dir>',
      'dataset images: a filter dead from noise (activation 0) restarts from its best patch in them',
    )
    .option(
      '--patches <manifest>',
      "instead of --images: a `patches` run's manifest.json with each filter's best patch",
    );
  withMaximizeOptions(
    withModelOptions(withObjectiveOption(command), { seed: true, ownSize: true }),
    'filters-out',
  ).action(
    action(async (options: FiltersOptions) => {
      const { model, backend, engine } = await setUp(options);
      try {
        if (options.objective !== undefined) {
          const { layer, filters, neuron } = options;
          checkObjectiveAlone({ layer, filters, neuron });
          const list = await objectiveItems(model, options.objective);
          await runMaximize(model, backend, engine, list, options);
          return;
        }
        const layers = options.layer
          ? options.layer.split(',').map((l) => model.layer(l.trim()).name)
          : lastConvOfEachBlock(model.layers);
        const list = items(model, layers, options.filters, Boolean(options.neuron));
        await runMaximize(model, backend, engine, list, options);
      } finally {
        model.dispose();
      }
    }),
  );
}
