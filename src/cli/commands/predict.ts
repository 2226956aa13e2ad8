/**
 * `convscope predict --image <file or dir>...`: top-K classes per image. Images that fail to
 * decode are reported (one line each) and the exit code is 1, but the others are still
 * classified.
 */
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { expandImagePaths, loadImage, type Fit } from '../../node/images.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';

interface PredictOptions extends GlobalOptions {
  image: string[];
  top: string;
  fit: Fit;
  batch: string;
}

interface Prediction {
  image: string;
  top?: { index: number; label: string | null; probability: number }[];
  error?: string;
}

export function addPredictCommand(program: Command): void {
  withModelOptions(
    program
      .command('predict')
      .description('classify images')
      .requiredOption('--image <path...>', 'image files or directories')
      .option('--top <k>', 'classes to show per image', '5')
      .option('--fit <mode>', 'cover (resize + center crop) | fill | contain', 'cover')
      .option('--batch <n>', 'images per forward pass', '16'),
  ).action(
    action(async (options: PredictOptions) => {
      const top = Number(options.top);
      if (!Number.isInteger(top) || top < 1)
        throw new ConvscopeError(`--top must be a positive integer, got '${options.top}'`);
      const files = await expandImagePaths(options.image);
      const { model } = await setUp(options);
      const k = Math.min(top, model.classes);
      const size = model.input;
      const batchSize = Math.max(1, Number(options.batch) || 16);
      const results: Prediction[] = [];
      for (let start = 0; start < files.length; start += batchSize) {
        const batch = files.slice(start, start + batchSize);
        const decoded = await Promise.all(
          batch.map((f) => loadImage(f, size, options.fit).catch((error: Error) => error)),
        );
        const good = decoded.flatMap((d, i) =>
          d instanceof Error ? [] : [{ file: batch[i], pixels: d }],
        );
        for (const [i, d] of decoded.entries()) {
          if (d instanceof Error) {
            process.stderr.write(`convscope: ${d.message}\n`);
            results.push({ image: batch[i], error: d.message });
          }
        }
        if (good.length === 0) continue;
        const probabilities = tf.tidy(() => {
          const images = tf.stack(
            good.map((g) => tf.tensor3d(g.pixels, [size.height, size.width, size.channels])),
          );
          return model.predict(images as tf.Tensor4D);
        });
        const values = (await probabilities.array()) as number[][];
        probabilities.dispose();
        for (const [i, row] of values.entries()) {
          const ranked = row
            .map((p, index) => ({ index, p }))
            .sort((a, b) => b.p - a.p)
            .slice(0, k);
          results.push({
            image: good[i].file,
            top: ranked.map((r) => ({
              index: r.index,
              label: model.labels?.[r.index] ?? null,
              probability: r.p,
            })),
          });
        }
      }
      results.sort((a, b) => files.indexOf(a.image) - files.indexOf(b.image));
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
      model.dispose();
      if (results.some((r) => r.error)) process.exitCode = 1;
    }),
  );
}
