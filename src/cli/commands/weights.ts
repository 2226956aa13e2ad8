/**
 * `convscope weights --layer L [--out F.png]`: the kernels of a conv layer as a labeled grid.
 * First-layer (gray or RGB) kernels are one tile per filter; deeper kernels one row per filter
 * with a tile per input channel (or one mean tile per filter with --input-channels mean).
 */
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { parseIndexSpec } from '../../core/methods/index-spec.js';
import { filterWeights, type InputChannelMode } from '../../core/methods/weights.js';
import { writeWeightsFigure } from '../../node/weights-figure.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import { pngOut, positiveInt } from '../option-values.js';

interface WeightsOptions extends GlobalOptions {
  layer: string;
  out: string;
  filters: string;
  sharedScale?: boolean;
  inputChannels: string;
  scale?: string;
  columns?: string;
}

const MODES = ['auto', 'rgb', 'slices', 'mean'];

export function addWeightsCommand(program: Command): void {
  withModelOptions(
    program
      .command('weights')
      .description('filter kernels of a conv layer as an image grid')
      .requiredOption('--layer <name>', 'a Conv2D layer (see `convscope layers`)')
      .option('--out <file.png>', 'the grid PNG to write', 'weights-out.png')
      .option('--filters <spec>', 'filters to show: 0-7, 3,9,12 or all', 'all')
      .option('--shared-scale', 'one min-max range for the whole layer (default: per filter)')
      .option('--input-channels <mode>', 'auto | rgb | slices | mean', 'auto')
      .option('--scale <n>', 'upscale factor of each tile (default: tiles at least 64 px)')
      .option('--columns <n>', 'tiles per row (rgb and mean tiles; slices have a row per filter)'),
  ).action(
    action(async (options: WeightsOptions) => {
      if (!MODES.includes(options.inputChannels)) {
        throw new ConvscopeError(
          `unknown --input-channels '${options.inputChannels}'`,
          `use one of: ${MODES.join(', ')}`,
        );
      }
      pngOut(options.out);
      const scale = positiveInt(options.scale, '--scale');
      const columns = positiveInt(options.columns, '--columns');
      const { model } = await setUp(options);
      const node = model.layer(options.layer);
      const filters = parseIndexSpec(
        options.filters,
        node.channels ?? 0,
        'filter',
        `layer '${node.name}'`,
      );
      const result = await filterWeights(model, node.name, {
        filters,
        sharedScale: options.sharedScale,
        inputChannels: options.inputChannels as InputChannelMode,
      });
      if (result.mode === 'slices' && columns !== undefined) {
        throw new ConvscopeError(
          `--columns does not apply to slices (one row per filter, a tile per input channel)`,
          'leave --columns out, or use --input-channels mean for one tile per filter',
        );
      }
      await writeWeightsFigure(options.out, result, { scale, columns });
      if (!options.quiet) process.stderr.write(`wrote ${options.out}\n`);
      if (options.json) {
        printJson({
          layer: node.name,
          kernelShape: result.kernelShape,
          mode: result.mode,
          filters: result.ranges.map((r) => ({ index: r.filter, min: r.min, max: r.max })),
          out: options.out,
        });
      }
      model.dispose();
    }),
  );
}
