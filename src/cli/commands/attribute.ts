/**
 * `convscope attribute --image IMG --method M[,M...] [--layer L --filter K | --class C] --out F.png`:
 * deconvnet, guided backprop, saliency, SmoothGrad or Grad-CAM for a unit or a class (default:
 * the predicted class), drawn beside the input image as the model saw it; several methods make
 * one row (input | method | method ...). Grad-CAM of a class at a chosen layer: `--method
 * gradcam --layer L --class C` (see attribute-flags.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { classProbabilities } from '../../core/engines/engine-tensors.js';
import { rgbaFromFloats } from '../../core/image/rgba.js';
import { attributionImage } from '../../core/methods/attribution-image.js';
import type { AttributionTarget } from '../../core/methods/attribution-target.js';
import {
  ATTRIBUTION_METHODS,
  attribute,
  type Attribution,
  type AttributionMethod,
} from '../../core/methods/attribution.js';
import { writeGridPng } from '../../node/grid-png.js';
import { loadImage, type Fit } from '../../node/images.js';
import { fileStem, targetStem, writeRawArray } from '../../node/raw-arrays.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import { attributeFlags } from '../attribute-flags.js';
import { FITS, choice, pngOut, positiveInt } from '../option-values.js';

interface AttributeOptions extends GlobalOptions {
  image: string;
  method: string;
  layer?: string;
  filter?: string;
  position?: string;
  class?: string;
  camLayer?: string;
  samples: string;
  noise: string;
  scale?: string;
  fit: Fit;
  out: string;
  raw?: string;
}

function parsePosition(text: string | undefined): [number, number] | 'max' | undefined {
  if (text === undefined || text === 'map') return undefined;
  if (text === 'max') return 'max';
  const match = /^(\d+),(\d+)$/.exec(text.trim());
  if (!match) throw new ConvscopeError(`cannot read --position '${text}'`, 'use max, map or y,x');
  return [Number(match[1]), Number(match[2])];
}

/**
 * Writes `<method>-<target>.npy` ([1, h, w, c]; Grad-CAM [1, h, w, 1]) and, for Grad-CAM,
 * `gradcam-<target>-cam-<camLayer>.npy` (the map before upsampling) under `dir`.
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

export function addAttributeCommand(program: Command): void {
  withModelOptions(
    program
      .command('attribute')
      .description('project a unit or a class back to the pixels (deconvnet, guided, ...)')
      .requiredOption('--image <file>', 'the input image')
      .requiredOption(
        '--method <names>',
        `${ATTRIBUTION_METHODS.join(' | ')}; several comma-separated, or all (one row)`,
      )
      .requiredOption('--out <file.png>', 'the PNG to write (input | attribution)')
      .option(
        '--layer <name>',
        'with --filter: the unit to explain; without (gradcam only): the layer Grad-CAM explains the class at',
      )
      .option('--filter <k>', 'channel of --layer')
      .option('--position <where>', 'seed: map (the whole activation map), max or y,x (one-hot)')
      .option('--class <c>', 'class name or index to explain (default: the predicted class)')
      .option(
        '--cam-layer <name>',
        'Grad-CAM: the layer to weigh (default: the last conv feeding the target); --layer without --filter says the same',
      )
      .option('--samples <n>', 'SmoothGrad: noisy copies', '25')
      .option('--noise <sd>', 'SmoothGrad: noise sd as a fraction of the input range', '0.15')
      .option('--scale <n>', 'upscale factor (default: images at least 224 px)')
      .option('--fit <mode>', 'cover | fill | contain', 'cover')
      .option(
        '--raw <dir>',
        'also write the raw values as DIR/<method>-<target>.npy (NHWC float32)',
      ),
  ).action(
    action(async (options: AttributeOptions) => {
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
      const { unit, camLayer } = attributeFlags(options, methods);
      choice(options.fit, FITS, '--fit');
      pngOut(options.out);
      const samples = positiveInt(options.samples, '--samples');
      const noise = Number(options.noise);
      if (!(noise >= 0)) throw new ConvscopeError(`--noise must be >= 0, got '${options.noise}'`);
      const scaleWanted = positiveInt(options.scale, '--scale');
      const position = parsePosition(options.position);
      const { model, engine } = await setUp(options);
      const pixels = await loadImage(options.image, model.input, options.fit);
      const { height, width, channels } = model.input;
      const image = tf.tensor3d(pixels, [height, width, channels]);
      let target: AttributionTarget;
      if (unit) {
        target = { kind: 'unit', ...unit, position };
      } else if (options.class !== undefined) {
        target = { kind: 'class', index: model.classIndex(options.class) };
      } else {
        model.requireClassifier(
          'an attribution without --layer/--filter (it explains the top class)',
        );
        const images = image.expandDims(0) as tf.Tensor4D;
        const probabilities = await classProbabilities(model, images, engine);
        const best = probabilities.argMax(1);
        target = { kind: 'class', index: (await best.data())[0] };
        tf.dispose([images, probabilities, best]);
      }
      const input = rgbaFromFloats(pixels, width, height, channels);
      const tiles = [{ image: input, label: 'input' }];
      const results = [];
      for (const method of methods as AttributionMethod[]) {
        const result = await attribute(model, image, method, target, {
          samples,
          noise,
          seed: options.seed === undefined ? 0 : Number(options.seed),
          camLayer,
          engine,
        });
        const label = result.camLayer ? `${method} (${result.camLayer})` : method;
        tiles.push({ image: attributionImage(result, input), label });
        const raw = options.raw === undefined ? {} : await writeRawAttribution(options.raw, result);
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
      image.dispose();
      const resolved = results[0].target;
      const what =
        resolved.kind === 'class'
          ? `class ${model.labels?.[resolved.index] ?? resolved.index}`
          : `${resolved.layer} #${resolved.filter}${resolved.position ? ` at ${resolved.position.join(',')}` : ''}`;
      const scale = scaleWanted ?? Math.max(1, Math.ceil(224 / Math.max(height, width)));
      await writeGridPng(options.out, tiles, {
        columns: tiles.length,
        scale,
        title: `${methods.length === 1 ? methods[0] : 'attributions'}: ${what}`,
      });
      if (!options.quiet) process.stderr.write(`wrote ${options.out}\n`);
      if (options.json) printJson(results.length === 1 ? results[0] : results);
      engine.dispose();
      model.dispose();
    }),
  );
}
