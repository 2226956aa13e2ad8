/** `convscope layers`: every layer with kind, output shape, channels and receptive field. */
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import type { LayerNode } from '../../core/models/layer-graph.js';
import { centerBoxes, drawReceptiveFields } from '../../node/draw-receptive-fields.js';
import { loadImage } from '../../node/images.js';
import {
  action,
  formatTable,
  printJson,
  setUp,
  withModelOptions,
  type GlobalOptions,
} from '../common.js';
import { addAliasedOption } from '../option-aliases.js';
import { pngOut } from '../option-values.js';

function fieldJson(node: LayerNode) {
  const field = node.receptiveField;
  if (!field) return null;
  const { vertical: v, horizontal: h } = field;
  const same = v.size === h.size && v.jump === h.jump && v.start === h.start;
  return { size: v.size, jump: v.jump, start: v.start, ...(same ? {} : { horizontal: h }) };
}

/** Where `--image` draws without `--out`. */
const DEFAULT_OUT = 'layers-out.png';

export function addLayersCommand(program: Command): void {
  const command = program
    .command('layers')
    .description('list the layers with shapes and receptive fields')
    .option('--layer <names>', 'only these layers (comma-separated)');
  addAliasedOption(command, {
    flags: '--image <file>',
    description: 'draw the receptive fields of the center units on this image',
    aliases: [{ flags: '--images <file>', note: 'the same, one file' }],
  });
  withModelOptions(
    command.option(
      '--out <file.png>',
      `where --image draws the receptive fields (default ${DEFAULT_OUT})`,
    ),
  ).action(
    action(async (options: GlobalOptions & { layer?: string; image?: string; out?: string }) => {
      if (options.out !== undefined && options.image === undefined) {
        throw new ConvscopeError(
          '--out is where --image draws the receptive fields; without --image nothing is drawn',
          'e.g. --image photo.jpg --out fields.png, or leave --out out',
        );
      }
      if (options.image !== undefined) options.out = pngOut(options.out ?? DEFAULT_OUT);
      const { model } = await setUp(options);
      const chosen = options.layer
        ? options.layer.split(',').map((n) => model.layer(n.trim()))
        : model.layers;
      if (options.image && options.out) {
        const pixels = await loadImage(options.image, model.input);
        const boxes = centerBoxes(chosen, model.input.height, model.input.width);
        await drawReceptiveFields(pixels, model.input, boxes, options.out);
        if (!options.quiet) process.stderr.write(`wrote ${options.out}\n`);
      }
      const layers = chosen.map((n) => ({
        name: n.name,
        kind: n.kind,
        outputShape: n.outputShape,
        channels: n.channels,
        receptiveField: fieldJson(n),
        ...(n.receptiveField ? {} : { receptiveFieldNote: n.receptiveFieldNote }),
        ...(n.note ? { note: n.note } : {}),
      }));
      const { height, width, channels, range, preprocess } = model.input;
      if (options.json) {
        printJson({
          model: model.name,
          inputShape: [height, width, channels],
          input: { range, preprocess },
          layers,
          ...(model.aliases.size ? { aliases: Object.fromEntries(model.aliases) } : {}),
        });
        return;
      }
      const rows = layers.map((l, i) => [
        String(i),
        l.name,
        l.kind,
        l.outputShape.map((d) => d ?? '?').join('x'),
        String(l.channels ?? ''),
        l.receptiveField ? String(l.receptiveField.size) : (l.receptiveFieldNote ?? ''),
        l.receptiveField ? String(l.receptiveField.jump) : '',
        l.receptiveField ? String(l.receptiveField.start) : '',
        l.note ?? '',
      ]);
      process.stdout.write(
        `model ${model.name}: input ${height}x${width}x${channels}, range [${range.join(', ')}], preprocess ${preprocess}\n\n`,
      );
      process.stdout.write(
        `${formatTable(['#', 'layer', 'kind', 'output', 'channels', 'receptive field', 'jump', 'start', 'note'], rows)}\n`,
      );
      if (model.aliases.size) {
        const names = [...model.aliases].map(([alias, name]) => `${alias} = ${name}`);
        process.stdout.write(`\nmodule outputs: ${names.join(', ')}\n`);
      }
      model.dispose();
    }),
  );
}
