/**
 * `convscope attribute --image IMG --method M[,M...] [--layer L --filters SPEC | --class SPEC]
 * [--out F.png]`: any method of the attribution registry (deconvnet, guided backprop, saliency,
 * SmoothGrad, Grad-CAM, Integrated Gradients, ...) for units or classes (default: the predicted
 * class), drawn beside the input image as the model saw it: one row per target (a unit or a
 * class), one column per method (input | method | method ...), all in one PNG. The methods'
 * options are flags generated from their records (attribute-flags.ts). Grad-CAM of a class at a
 * chosen layer: `--method gradcam --layer L --class C`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { classProbabilities } from '../../core/engines/engine-tensors.js';
import { rgbaFromFloats } from '../../core/image/rgba.js';
import { parseIndexSpec } from '../../core/methods/index-spec.js';
import type { VisModel } from '../../core/models/vis-model.js';
import type { AttributionTarget } from '../../core/methods/attribution-target.js';
import {
  ATTRIBUTION_METHODS,
  attribute,
  type Attribution,
} from '../../core/methods/attribution.js';
import { attributionRecord } from '../../core/methods/attribution/registry.js';
import { attributionTile } from '../../node/attribution-figure.js';
import { writeGridPng } from '../../node/grid-png.js';
import { loadImage, type Fit } from '../../node/images.js';
import { fileStem, targetStem, writeRawArray } from '../../node/raw-arrays.js';
import type { NetworkEngine } from '../../core/engines/network-engine.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import {
  METHOD_OPTIONS,
  addMethodOptions,
  attributeFlags,
  methodOptionValues,
  type AttributeChoice,
} from '../attribute-flags.js';
import { parseClassSpec } from '../class-spec.js';
import { addAliasedOption, given } from '../option-aliases.js';
import { FITS, choice, intOption, pngOut, positiveInt } from '../option-values.js';

interface AttributeOptions extends GlobalOptions {
  image: string;
  method: string;
  layer?: string;
  filters?: string;
  position?: string;
  class?: string;
  camLayer?: string;
  scale?: string;
  fit: Fit;
  out: string;
  raw?: string;
  /** The method options (generated flags), as typed. */
  [option: string]: unknown;
}

function parsePosition(text: string | undefined): [number, number] | 'max' | undefined {
  if (text === undefined || text === 'map') return undefined;
  if (text === 'max') return 'max';
  const match = /^(\d+),(\d+)$/.exec(text.trim());
  if (!match) throw new ConvscopeError(`cannot read --position '${text}'`, 'use max, map or y,x');
  return [Number(match[1]), Number(match[2])];
}

/**
 * Writes `<method>-<target>.npy` ([1, h, w, c]; CAM maps [1, h, w, 1]) and, for the CAM
 * methods, `<method>-<target>-cam-<camLayer>.npy` (the map before upsampling) under `dir`.
 * @example const { raw } = await writeRawAttribution('raw', await attribute(model, image, 'guided', target));
 */
async function writeRawAttribution(
  dir: string,
  result: Attribution,
): Promise<{ raw: string; rawCam?: string }> {
  const stem = `${result.method}-${targetStem(result.target)}`;
  const raw = await writeRawArray(dir, `${stem}.npy`, result.values, [1, ...result.shape]);
  if (!result.cam || !result.camLayer) return { raw };
  const { values, height, width } = result.cam;
  const camFile = `${stem}-cam-${fileStem(result.camLayer)}.npy`;
  return { raw, rawCam: await writeRawArray(dir, camFile, values, [1, height, width, 1]) };
}

/**
 * The targets, one row each: the units `--filters` names, the classes `--class` names, or
 * the predicted class.
 */
async function targetsOf(
  model: VisModel,
  engine: NetworkEngine,
  image: tf.Tensor3D,
  choice: AttributeChoice,
  options: AttributeOptions,
): Promise<AttributionTarget[]> {
  const position = parsePosition(options.position);
  if (choice.unit) {
    const { layer, channels } = choice.unit;
    const node = model.layer(layer);
    return parseIndexSpec(channels, node.channels ?? 0, 'channel', `layer '${node.name}'`).map(
      (channel) => ({ kind: 'unit', layer: node.name, channel, position }),
    );
  }
  if (options.class !== undefined) {
    model.requireClassifier('a class target');
    return parseClassSpec(model, options.class).map((index) => ({ kind: 'class', index }));
  }
  model.requireClassifier('an attribution without --layer/--filters (it explains the top class)');
  const images = image.expandDims(0) as tf.Tensor4D;
  const probabilities = await classProbabilities(model, images, engine);
  const best = probabilities.argMax(1);
  const index = (await best.data())[0];
  tf.dispose([images, probabilities, best]);
  return [{ kind: 'class', index }];
}

/** A column's name: the method, and the method a wrapper wraps when not its default. */
function wrapped(method: string, options: Record<string, unknown>): string {
  const record = attributionRecord(method);
  const base = record.baseOf?.(options);
  const fallback = record.baseOf?.({});
  return base && base !== fallback ? `${method} of ${base.name}` : method;
}

/** A row's name: `class Bag`, `block3_conv1 #6 at 4,5`. */
function describe(model: VisModel, target: Attribution['target']): string {
  return target.kind === 'class'
    ? `class ${model.labels?.[target.index] ?? target.index}`
    : `${target.layer} #${target.channel}${target.position ? ` at ${target.position.join(',')}` : ''}`;
}

export function addAttributeCommand(program: Command): void {
  const command = program
    .command('attribute')
    .description('project units or classes back to the pixels (deconvnet, guided, ...)');
  addAliasedOption(command, {
    flags: '--image <file>',
    description: 'the input image',
    aliases: [{ flags: '--images <file>', note: 'the same, one file' }],
    required: true,
  });
  command
    .requiredOption(
      '--method <names>',
      `${ATTRIBUTION_METHODS.join(' | ')}; several comma-separated, or all (one column each)`,
    )
    .option(
      '--out <file.png>',
      'the PNG to write (a row per target: input | attribution ...)',
      'attribute-out.png',
    )
    .option(
      '--layer <name>',
      'with --filters: the units to explain; without (CAM methods only): the layer they explain the class at',
    );
  addAliasedOption(command, {
    flags: '--filters <spec>',
    description: 'filters (output channels) of --layer to explain, a row each: 5, 0-3, 3,9,12',
    aliases: [{ flags: '--filter <k>', note: 'the old name, kept for a release' }],
  });
  command
    .option(
      '--position <where>',
      'units only: seed the whole activation map (map), its strongest unit (max) or y,x (one-hot)',
    )
    .option(
      '--class <spec>',
      'classes to explain, a row each: names or indices, 3,7, 0-4 (default: the predicted class)',
    );
  addMethodOptions(command);
  withModelOptions(
    command
      .option('--scale <n>', 'upscale factor (default: images at least 224 px)')
      .option('--fit <mode>', 'cover | fill | contain', 'cover')
      .option(
        '--raw <dir>',
        'also write the raw values as DIR/<method>-<target>.npy (NHWC float32)',
      ),
    { seed: true },
  ).action(
    action(async (options: AttributeOptions, command: Command) => {
      const methods = (
        options.method === 'all' ? [...ATTRIBUTION_METHODS] : options.method.split(',')
      ).map((m) => m.trim());
      for (const method of methods) {
        if (!(ATTRIBUTION_METHODS as readonly string[]).includes(method)) {
          throw new ConvscopeError(
            `unknown --method '${method}'`,
            `use one of: ${ATTRIBUTION_METHODS.join(', ')} (several comma-separated, or all)`,
          );
        }
      }
      const typed = new Set(METHOD_OPTIONS.map((o) => o.key).filter((k) => given(command, k)));
      const picked = attributeFlags(options, methods, typed);
      choice(options.fit, FITS, '--fit');
      pngOut(options.out);
      const methodOptions = methodOptionValues(options);
      const seed = intOption(options.seed, '--seed', 'any') ?? 0;
      const scaleWanted = positiveInt(options.scale, '--scale');
      parsePosition(options.position);
      const { model, engine } = await setUp(options);
      const pixels = await loadImage(options.image, model.input, options.fit);
      const { height, width, channels } = model.input;
      const image = tf.tensor3d(pixels, [height, width, channels]);
      const targets = await targetsOf(model, engine, image, picked, options);
      const input = rgbaFromFloats(pixels, width, height, channels);
      const tiles = [];
      const rowLabels: string[] = [];
      const results = [];
      for (const target of targets) {
        tiles.push({ image: input, label: 'input' });
        for (const method of methods) {
          const result = await attribute(model, image, method, target, {
            ...methodOptions,
            seed,
            camLayer: picked.camLayer && model.layer(picked.camLayer).name,
            engine,
          });
          const label = `${wrapped(method, methodOptions)}${result.camLayer ? ` (${result.camLayer})` : ''}`;
          tiles.push(attributionTile(result, input, label));
          const raw =
            options.raw === undefined ? {} : await writeRawAttribution(options.raw, result);
          results.push({
            method,
            out: options.out,
            min: result.min,
            max: result.max,
            image: options.image,
            target: result.target,
            ...(result.camLayer ? { camLayer: result.camLayer } : {}),
            ...raw,
            engine: engine.name,
          });
        }
        rowLabels.push(targets.length > 1 ? describe(model, results.at(-1)!.target) : '');
      }
      image.dispose();
      const what =
        targets.length === 1
          ? describe(model, results[0].target)
          : `${targets.length} ${picked.unit ? 'units' : 'classes'}`;
      const scale = scaleWanted ?? Math.max(1, Math.ceil(224 / Math.max(height, width)));
      await writeGridPng(options.out, tiles, {
        columns: methods.length + 1,
        scale,
        title: `${methods.length === 1 ? methods[0] : 'attributions'}: ${what}`,
        ...(targets.length > 1 ? { rowLabels } : {}),
      });
      if (!options.quiet) process.stderr.write(`wrote ${options.out}\n`);
      if (options.json) printJson(results.length === 1 ? results[0] : results);
      engine.dispose();
      model.dispose();
    }),
  );
}
