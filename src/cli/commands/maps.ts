/**
 * `convscope maps --image IMG [--layer L,...] [--filters SPEC] [--out F.png]`: the feature maps an image produces,
 * one row (or more) of channel tiles per layer. Without --layer, the classic figure: the first
 * conv of each block, channels 0-7. Smaller maps are upscaled to the largest so rows line up.
 */
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { featureMaps, firstConvOfEachBlock } from '../../core/methods/feature-maps.js';
import { parseIndexSpec } from '../../core/methods/index-spec.js';
import { rgbaFromFloats } from '../../core/image/rgba.js';
import { writeMapsFigure } from '../../node/maps-figure.js';
import { loadImage, type Fit } from '../../node/images.js';
import { fileStem, writeRawArray } from '../../node/raw-arrays.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import { addAliasedOption } from '../option-aliases.js';
import { FITS, choice, pngOut, positiveInt } from '../option-values.js';

interface MapsOptions extends GlobalOptions {
  image: string;
  layer?: string;
  filters?: string;
  normalize: string;
  colormap: string;
  columns?: string;
  scale?: string;
  fit: Fit;
  out: string;
  raw?: string;
}

export function addMapsCommand(program: Command): void {
  const command = program
    .command('maps')
    .description('feature maps of an image at some layers, as an image grid');
  addAliasedOption(command, {
    flags: '--image <file>',
    description: 'the input image',
    aliases: [{ flags: '--images <file>', note: 'the same, one file' }],
    required: true,
  });
  command
    .option('--out <file.png>', 'the grid PNG to write', 'maps-out.png')
    .option('--layer <names>', 'layers (comma-separated); default: first conv of each block');
  addAliasedOption(command, {
    flags: '--filters <spec>',
    description:
      'filters (output channels) per layer: 0-7, 3,9,12 or all (default 0-7 without --layer, else all)',
    aliases: [{ flags: '--channels <spec>', note: 'the old name, kept for a release' }],
  });
  withModelOptions(
    command
      .option('--normalize <how>', 'channel (each tile its own range) | layer', 'channel')
      .option('--colormap <name>', 'gray | viridis', 'viridis')
      .option('--columns <n>', 'tiles per row (default: up to 16)')
      .option('--scale <n>', 'upscale factor of the largest maps (default: at least 64 px)')
      .option('--fit <mode>', 'cover | fill | contain', 'cover')
      .option(
        '--raw <dir>',
        "also write each layer's activations as DIR/<layer>.npy (NHWC float32)",
      ),
  ).action(
    action(async (options: MapsOptions) => {
      if (!['channel', 'layer'].includes(options.normalize)) {
        throw new ConvscopeError(
          `unknown --normalize '${options.normalize}'`,
          'use channel or layer',
        );
      }
      if (!['gray', 'viridis'].includes(options.colormap)) {
        throw new ConvscopeError(`unknown --colormap '${options.colormap}'`, 'use gray or viridis');
      }
      choice(options.fit, FITS, '--fit');
      pngOut(options.out);
      const columnsWanted = positiveInt(options.columns, '--columns');
      const scale = positiveInt(options.scale, '--scale');
      const { model, engine } = await setUp(options);
      const layers = options.layer
        ? options.layer.split(',').map((n) => model.layer(n.trim()).name)
        : firstConvOfEachBlock(model.layers);
      const spec = options.filters ?? (options.layer ? 'all' : '0-7');
      const channels = Object.fromEntries(
        layers.map((name) => {
          const count = model.layer(name).channels ?? 0;
          const wanted = spec === '0-7' && !options.filters ? `0-${Math.min(7, count - 1)}` : spec;
          return [name, parseIndexSpec(wanted, count, 'channel', `layer '${name}'`)];
        }),
      );
      const pixels = await loadImage(options.image, model.input, options.fit);
      const { height, width, channels: depth } = model.input;
      const image = tf.tensor3d(pixels, [height, width, depth]);
      const maps = await featureMaps(model, image, layers, {
        channels,
        normalize: options.normalize as 'channel' | 'layer',
        colormap: options.colormap as 'gray' | 'viridis',
        raw: options.raw !== undefined,
        engine,
      });
      image.dispose();
      const rawFiles = new Map<string, string>();
      for (const layer of maps) {
        if (options.raw === undefined || !layer.raw) continue;
        const { values, shape } = layer.raw;
        rawFiles.set(
          layer.name,
          await writeRawArray(options.raw, `${fileStem(layer.name)}.npy`, values, shape),
        );
      }
      await writeMapsFigure(options.out, {
        maps,
        input: { image: rgbaFromFloats(pixels, width, height, depth), file: options.image },
        normalize: options.normalize as 'channel' | 'layer',
        colormap: options.colormap as 'gray' | 'viridis',
        columns: columnsWanted,
        scale,
      });
      if (!options.quiet) process.stderr.write(`wrote ${options.out}\n`);
      if (!options.quiet && rawFiles.size > 0) {
        process.stderr.write(`wrote ${rawFiles.size} .npy arrays to ${options.raw}\n`);
      }
      if (options.json) {
        printJson({
          image: options.image,
          layers: maps.map((m) => ({
            name: m.name,
            shape: [m.height, m.width],
            channels: m.channels.map(({ index, mean, min, max }) => ({ index, mean, min, max })),
            ...(rawFiles.has(m.name) ? { raw: rawFiles.get(m.name) } : {}),
          })),
          out: options.out,
          engine: engine.name,
        });
      }
      engine.dispose();
      model.dispose();
    }),
  );
}
