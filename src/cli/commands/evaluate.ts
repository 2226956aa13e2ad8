/**
 * `convscope evaluate --images DIR`: accuracy of a classifier on a labeled image folder
 * (index.json, index.csv or class sub-folders), with per-class accuracy and the confusion
 * matrix as a PNG. Images that fail to decode are listed and left out of the score.
 */
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { evaluate } from '../../core/evaluation/confusion.js';
import { argMax, classifyFiles } from '../../node/classify-files.js';
import { drawConfusionMatrix } from '../../node/draw-confusion-matrix.js';
import type { Fit } from '../../node/images.js';
import { readLabeledImages } from '../../node/labeled-images.js';
import {
  action,
  formatTable,
  printJson,
  setUp,
  withModelOptions,
  type GlobalOptions,
} from '../common.js';
import { FITS, choice, pngOut, positiveInt } from '../option-values.js';
import { addAliasedOption } from '../option-aliases.js';
import { startProgress } from '../progress.js';

interface EvaluateOptions extends GlobalOptions {
  images: string;
  out: string;
  fit: Fit;
  batch: string;
}

export function addEvaluateCommand(program: Command): void {
  const command = program
    .command('evaluate')
    .description('accuracy and confusion matrix on a labeled image folder');
  addAliasedOption(command, {
    flags: '--images <dir>',
    description: 'folder with index.json / index.csv (file,label) or one sub-folder per class',
    aliases: [{ flags: '--image <dir>', note: 'the same' }],
    required: true,
  });
  withModelOptions(
    command
      .option('--out <file.png>', 'confusion matrix image', 'evaluate-out.png')
      .option('--fit <mode>', 'cover (resize + center crop) | fill | contain', 'cover')
      .option('--batch <n>', 'images per forward pass', '32'),
  ).action(
    action(async (options: EvaluateOptions) => {
      const batchSize = positiveInt(options.batch, '--batch')!;
      choice(options.fit, FITS, '--fit');
      pngOut(options.out);
      const { model, engine } = await setUp(options);
      model.requireClassifier('evaluate');
      const labels = model.labels ?? Array.from({ length: model.classes }, (_, i) => String(i));
      const images = await readLabeledImages(options.images, model.labels);
      if (images.length === 0) throw new ConvscopeError(`no labeled images in ${options.images}`);
      const labelOf = new Map(images.map((i) => [i.file, i.label]));
      const [truth, predicted, failed]: [number[], number[], { file: string; error: string }[]] = [
        [],
        [],
        [],
      ];
      const bar = startProgress(images.length, 'images', options.quiet);
      const files = images.map((i) => i.file);
      for await (const batch of classifyFiles(model, files, {
        batchSize,
        fit: options.fit,
        engine,
      })) {
        for (const result of batch) {
          if (result.probabilities) {
            truth.push(labelOf.get(result.file)!);
            predicted.push(argMax(result.probabilities));
          } else failed.push({ file: result.file, error: result.error! });
        }
        bar.update(truth.length + failed.length);
      }
      bar.stop();
      engine.dispose();
      model.dispose();
      for (const f of failed) process.stderr.write(`convscope: skipped ${f.error}\n`);
      if (truth.length === 0) throw new ConvscopeError('no image could be decoded');
      const result = evaluate(truth, predicted, labels.length, labels);
      await drawConfusionMatrix(
        result.confusion,
        labels,
        options.out,
        `${model.name}: ${(result.accuracy * 100).toFixed(1)}% of ${result.count} images`,
      );
      if (options.json) {
        printJson({
          model: model.name,
          images: options.images,
          ...result,
          skipped: failed,
          out: options.out,
          engine: engine.name,
        });
        return;
      }
      const rows = result.perClass.map((c) => [
        String(c.index),
        c.label ?? '',
        String(c.count),
        c.count ? `${(c.accuracy * 100).toFixed(1)}%` : '-',
      ]);
      process.stdout.write(`${formatTable(['class', 'label', 'images', 'accuracy'], rows)}\n`);
      process.stdout.write(
        `accuracy ${(result.accuracy * 100).toFixed(2)}% (${result.correct}/${result.count})` +
          `${failed.length ? `, ${failed.length} skipped` : ''}; confusion matrix: ${options.out}\n`,
      );
    }),
  );
}
