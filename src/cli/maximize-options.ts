/**
 * What `filters` and `classes` share: the `--preset` flag and one flag per overridable
 * setting (generated from SETTING_OPTIONS, so the CLI cannot drift from the presets), the
 * `--history`/`--out` flags, the progress bar over steps, and the run itself.
 */
import type { Command } from 'commander';
import path from 'node:path';
import type { NetworkEngine } from '../core/engines/network-engine.js';
import { ConvscopeError } from '../core/errors.js';
import { largestBatch } from '../core/models/input-size-bounds.js';
import type { VisModel } from '../core/models/vis-model.js';
import { DEFAULT_PRESET, PRESETS } from '../core/optimize/presets.js';
import { resolveRun, targetLayers } from '../core/optimize/resolve-run.js';
import { SETTING_OPTIONS, kebab } from '../core/optimize/setting-options.js';
import type { OptimizationSettings } from '../core/optimize/settings.js';
import { chooseBatchSize } from '../node/batch-size.js';
import { engineThreads, sameEngineFor } from '../node/engine.js';
import { TOOL } from '../node/package-info.js';
import { visualize, type Manifest, type VisualizeItem } from '../node/visualize.js';
import { defaultPoolSize } from '../node/worker-pool.js';
import { maximizeRunner } from '../node/queue/runners.js';
import { macoSpectrum } from '../node/maco-spectrum-images.js';
import { expandImagePaths } from '../node/images.js';
import { readPatchesManifest } from '../node/dead-units.js';
import { printJson, type GlobalOptions } from './common.js';
import { intOption, workerCount } from './option-values.js';
import { startProgress } from './progress.js';

export interface MaximizeCliOptions extends GlobalOptions {
  preset: string;
  history?: string;
  workers?: string;
  batch?: string;
  out: string;
  raw?: string;
  queue?: string;
  resume?: string;
  stats?: boolean;
  alpha?: boolean;
  spectrumImages?: string;
  /** filters: dataset images that dead units restart from (their best patch). */
  images?: string;
  /** filters: or a `patches` run's manifest.json with those patches. */
  patches?: string;
  [setting: string]: unknown;
}

/** Adds --preset, every setting flag, --history and --out. */
export function withMaximizeOptions(
  command: Command,
  defaultOut: string,
  defaultPreset: string | null = DEFAULT_PRESET,
): Command {
  const presets = `settings preset: ${PRESETS.map((p) => p.name).join(', ')}`;
  command
    .option(
      '--preset <name>',
      defaultPreset ? presets : `${presets} (default: mean-prior for gray models, lucid for RGB)`,
      defaultPreset ?? undefined,
    )
    .option('--history <k>', 'also write the image of every k-th step (history/ and a strip)')
    .option(
      '--workers <n>',
      'worker threads, one batch of items each: a number, or auto (default: one per core for 4+ items)',
    )
    .option(
      '--batch <n>',
      "items per forward/backward pass: a number, or auto (measured on a few steps); default: all of a worker's items",
    )
    .option('--out <dir>', 'output folder', defaultOut)
    .option('--raw <dir>', "also write each image's float values as DIR/<stem>.npy (NHWC)")
    .option(
      '--queue <url>',
      'run the shards on `convscope worker` processes through BullMQ on this Redis URL (same files as a local run)',
    )
    .option(
      '--resume <id>',
      'collect the queued run ID that this command started before (with --queue)',
    )
    .option('--stats', 'print one line of image statistics (means over the items) to stderr')
    .option('--alpha', "MACO: write the transparency map as each PNG's alpha channel")
    .option(
      '--spectrum-images <dir>',
      "MACO: the magnitude spectrum from these images (default: the model's samples, else 1/f)",
    );
  for (const option of SETTING_OPTIONS) {
    const choices = option.choices ? ` (${option.choices.join(' | ')})` : '';
    command.option(
      `--${kebab(option.key)} <value>`,
      `${option.description}${choices}; default from the preset`,
    );
  }
  return command;
}

/** `--batch`: undefined (one batch per worker), a number, or `auto` (measured). */
async function resolveBatch(
  options: MaximizeCliOptions,
  model: VisModel,
  items: VisualizeItem[],
  settings: OptimizationSettings,
  workers: number,
  engine: NetworkEngine,
): Promise<number | undefined> {
  if (options.batch === undefined) return undefined;
  if (options.batch === 'auto') {
    const perWorker = Math.ceil(items.length / workers);
    // Candidates stop at the largest batch whose activations fit the memory budget.
    const fits = largestBatch(model, targetLayers(items.map((i) => i.spec)), model.input.height);
    const choice = await chooseBatchSize(
      model,
      items.map((i) => i.spec),
      settings,
      Math.max(1, Math.min(perWorker, fits)),
      engine,
    );
    if (!options.quiet) {
      const table = choice.measured.map((m) => `${m.batch}: ${m.ms.toFixed(0)} ms`).join(', ');
      process.stderr.write(`batch ${choice.batch} (ms per item-step: ${table})\n`);
    }
    return choice.batch;
  }
  return explicitBatch(options);
}

/** `--batch N`: a positive integer. */
function explicitBatch(options: MaximizeCliOptions): number {
  return intOption(options.batch, '--batch', 'positive', 'auto')!;
}

/** `--resume` needs `--queue`; `--raw` needs the float images, which stay on the workers. */
function checkQueueOptions(options: MaximizeCliOptions): void {
  if (options.resume !== undefined && options.queue === undefined) {
    throw new ConvscopeError(
      '--resume continues a queued run: give --queue URL too',
      'the same command as before, with --queue and --resume',
    );
  }
  if (options.queue !== undefined && options.raw !== undefined) {
    throw new ConvscopeError(
      '--raw cannot be used with --queue: the float images stay on the workers (PNGs and numbers come back)',
      'leave --raw out, or run without --queue',
    );
  }
}

/** `--diversity-weight` needs `--diversity N`; `--images`/`--patches` need the float images here. */
export function checkDiversityOptions(options: MaximizeCliOptions): void {
  const images = Number(options.diversity ?? 1);
  if (options.images !== undefined && options.patches !== undefined) {
    throw new ConvscopeError(
      '--images and --patches both give dead units their patches: give one',
      '--images DIR scans DIR; --patches reads a previous `convscope patches` manifest.json',
    );
  }
  if (options.diversityWeight !== undefined && !(images > 1)) {
    throw new ConvscopeError(
      '--diversity-weight applies to runs of several images per unit',
      'add --diversity N (N >= 2)',
    );
  }
  // --diversity runs on workers too: they measure each image's unit activation there.
  for (const [flag, given] of [
    ['--images', options.images !== undefined],
    ['--patches', options.patches !== undefined],
  ] as const) {
    if (given && options.queue !== undefined) {
      throw new ConvscopeError(
        `${flag} cannot be used with --queue: it needs the float images, which stay on the workers`,
        'run without --queue',
      );
    }
  }
}

/** `--stats`: the items' mean statistics in one line that compares runs. */
export function statsLine(manifest: Manifest): string {
  const mean = (f: (s: Manifest['items'][number]['stats']) => number | undefined) => {
    const values = manifest.items.map((i) => f(i.stats)).filter((v) => v !== undefined);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  };
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return (
    `stats ${manifest.preset} (${manifest.items.length} images, ${manifest.steps} steps): ` +
    `saturated ${pct(mean((s) => s.saturated))}, high-frequency ${pct(mean((s) => s.highFrequency))}, ` +
    `objective ${mean((s) => s.objective).toPrecision(4)}, with transforms ${mean((s) => s.objectiveWithTransforms).toPrecision(4)}`
  );
}

/** Runs the items with the preset and overrides of `options`, with a progress bar. */
export async function runMaximize(
  model: VisModel,
  backend: string,
  engine: NetworkEngine,
  items: VisualizeItem[],
  options: MaximizeCliOptions,
  withProbability = false,
): Promise<Manifest> {
  const overrides = Object.fromEntries(
    SETTING_OPTIONS.map((o) => [o.key, options[o.key] as string | undefined]),
  );
  checkQueueOptions(options);
  checkDiversityOptions(options);
  // A file that is no patches manifest is refused now, not only once a unit turns out dead.
  if (options.patches !== undefined) await readPatchesManifest(options.patches);
  const history = intOption(options.history, '--history', 'non-negative') ?? 0;
  const seed = intOption(options.seed, '--seed', 'any') ?? 0;
  // auto: one worker per core for runs of 4 items or more (a worker costs ~1 s to start);
  // results depend on the worker count (shard s uses seed + s), which the manifest records.
  // With ONNX Runtime the workers share its threads (threads / workers each): the image side
  // of a step (Fourier image, transforms, their gradients) runs on TF.js in one thread per
  // worker, so one worker per core beats one worker with every core given to ONNX Runtime
  // (VGG16 block3_conv1, 128 px, batch 4: ~96 ms per item-step in one worker, see BENCHMARKS).
  const workers =
    options.workers === undefined || options.workers === 'auto'
      ? items.length >= 4
        ? Math.min(defaultPoolSize(), items.length)
        : 1
      : // Queued, --workers N cuts N shards for any number of machines: no cap at this one's cores.
        workerCount(options.workers, {
          quiet: options.quiet,
          ...(options.queue ? { cores: Number.POSITIVE_INFINITY } : {}),
        });
  // The size is checked for the images one worker optimizes at once (auto: one, at first).
  const perWorker = Math.ceil(items.length / workers);
  const batch =
    options.batch === undefined
      ? perWorker
      : options.batch === 'auto'
        ? 1
        : Math.min(explicitBatch(options), perWorker);
  const objectives = items.map((i) => i.spec);
  const run = await resolveRun(model, options.preset, overrides, { objectives, batch });
  const { preset, settings } = run;
  if (settings.parameterization.kind === 'maco') {
    settings.parameterization.spectrum ??= await macoSpectrum(run.model, options.spectrumImages);
  } else if (options.spectrumImages !== undefined || options.alpha) {
    throw new ConvscopeError(
      `${options.alpha ? '--alpha' : '--spectrum-images'} applies to MACO only`,
      'add --preset maco (or --parameterization maco)',
    );
  }
  const resized = run.resized ? run.model : undefined;
  model = run.model;
  const runEngine = resized ? await sameEngineFor(model, engine) : engine;
  const threads = engineThreads(engine);
  const batchSize = await resolveBatch(options, model, items, settings, workers, runEngine);
  const workerData = {
    model: {
      model: options.model,
      weights: options.weights,
      arch: options.arch,
      inputRange: options.inputRange,
      preprocess: options.preprocess,
      labels: options.labels,
      size: model.input.height,
    },
    backend,
    size: model.input.height,
    engine: runEngine.name,
    threads: Math.max(1, Math.floor(threads / workers)),
  };
  const runShards = options.queue
    ? maximizeRunner(
        {
          url: options.queue,
          resume: options.resume,
          note: (line) => (options.quiet ? undefined : process.stderr.write(`${line}\n`)),
        },
        withProbability ? 'classes' : 'filters',
        workerData,
        withProbability,
      )
    : undefined;
  const bar = startProgress(settings.steps, 'steps', options.quiet, ' | mean {score}');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    const manifest = await visualize({
      model,
      items,
      settings,
      preset: preset.name,
      seed,
      backend,
      engine: runEngine,
      tool: TOOL,
      outDir: options.out,
      history,
      signal: controller.signal,
      withProbability,
      rawDir: options.raw,
      alpha: Boolean(options.alpha),
      ...(options.images === undefined ? {} : { images: await expandImagePaths([options.images]) }),
      ...(options.patches === undefined ? {} : { patches: options.patches }),
      workers,
      batchSize,
      workerData,
      runShards,
      onProgress: (step, scores) =>
        bar.update(step, {
          score: (scores.reduce((a, b) => a + b, 0) / scores.length).toPrecision(3),
        }),
    });
    bar.stop();
    if (options.stats) process.stderr.write(`${statsLine(manifest)}\n`);
    if (options.json) printJson(manifest);
    else {
      const where = path.join(options.out, manifest.grid);
      process.stdout.write(
        `${manifest.items.length} images, ${manifest.steps} steps in ${manifest.seconds.toFixed(1)} s` +
          `${manifest.aborted ? ' (stopped early)' : ''}: ${where}\n`,
      );
    }
    return manifest;
  } finally {
    bar.stop();
    process.removeListener('SIGINT', stop);
    resized?.dispose();
    if (runEngine !== engine) runEngine.dispose();
  }
}
