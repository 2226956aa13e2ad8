/**
 * `convscope predict --images <file or dir>...` (or `--image`): top-K classes per image, and with `--out` a
 * labeled grid of the images as the model saw them with their top class. Images that fail to
 * decode are reported (one line each) and the exit code is 1, but the others are still
 * classified.
 */
import type { Command } from 'commander';
import { rgbaFromFloats } from '../../core/image/rgba.js';
import { classifyFiles } from '../../node/classify-files.js';
import { viewScale, writeGridPng, type GridTile } from '../../node/grid-png.js';
import { expandImagePaths, loadImage, type Fit } from '../../node/images.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import { addAliasedOption } from '../option-aliases.js';
import { FITS, choice, intOption, pngOut, positiveInt } from '../option-values.js';

interface PredictOptions extends GlobalOptions {
  images: string[];
  top: string;
  fit: Fit;
  batch: string;
  out?: string;
}

interface Prediction {
  image: string;
  top?: { index: number; label: string | null; probability: number }[];
  error?: string;
  /** The engine that ran the network (`--engine`). */
  engine: string;
}

export function addPredictCommand(program: Command): void {
  const command = program.command('predict').description('classify images');
  addAliasedOption(command, {
    flags: '--images <path...>',
    description: 'image files or directories',
    aliases: [{ flags: '--image <path...>', note: 'the same (CLI.md spelling)' }],
    required: true,
  });
  withModelOptions(
    command
      .option('--top <k>', 'classes to show per image', '5')
      .option('--fit <mode>', 'cover (resize + center crop) | fill | contain', 'cover')
      .option('--batch <n>', 'images per forward pass', '16')
      .option(
        '--out <file.png>',
        'also draw the images with their top class as a grid (says where)',
      ),
  ).action(
    action(async (options: PredictOptions) => {
      const top = intOption(options.top, '--top')!;
      const batchSize = positiveInt(options.batch, '--batch')!;
      choice(options.fit, FITS, '--fit');
      if (options.out !== undefined) pngOut(options.out);
      const files = await expandImagePaths(options.images);
      const { model, engine } = await setUp(options);
      model.requireClassifier('predict');
      const k = Math.min(top, model.classes);
      const results: Prediction[] = [];
      for await (const batch of classifyFiles(model, files, {
        batchSize,
        fit: options.fit,
        engine,
      })) {
        for (const { file, probabilities, error } of batch) {
          if (!probabilities) {
            process.stderr.write(`convscope: ${error}\n`);
            results.push({ image: file, error, engine: engine.name });
            continue;
          }
          const ranked = Array.from(probabilities, (p, index) => ({ index, p }))
            .sort((a, b) => b.p - a.p)
            .slice(0, k);
          results.push({
            image: file,
            top: ranked.map((r) => ({
              index: r.index,
              label: model.labels?.[r.index] ?? null,
              probability: r.p,
            })),
            engine: engine.name,
          });
        }
      }
      if (options.out) {
        const tiles: GridTile[] = [];
        for (const r of results.filter((r) => r.top)) {
          const pixels = await loadImage(r.image, model.input, options.fit);
          const { width, height, channels } = model.input;
          const best = r.top![0];
          tiles.push({
            image: rgbaFromFloats(pixels, width, height, channels),
            label: `${best.label ?? best.index} ${(best.probability * 100).toFixed(0)}%`,
          });
        }
        await writeGridPng(options.out, tiles, {
          columns: Math.min(8, tiles.length),
          scale: viewScale(Math.min(model.input.width, model.input.height)),
          title: `${model.name}: top class per image`,
        });
        if (!options.quiet) process.stderr.write(`wrote ${options.out}\n`);
      }
      engine.dispose();
      model.dispose();
      if (options.json) printJson(results);
      else {
        for (const r of results) {
          if (!r.top) continue;
          const best = r.top
            .map((t) => `${t.label ?? t.index} ${(t.probability * 100).toFixed(1)}%`)
            .join(', ');
          process.stdout.write(`${r.image}: ${best}\n`);
        }
      }
      if (results.some((r) => r.error)) process.exitCode = 1;
    }),
  );
}
