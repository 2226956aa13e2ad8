/**
 * `convscope atlas --model M [--layers L,...|all-conv] [--images DIR] [--preset P] [--steps N]
 * [--queue URL] --out SITE`: every unit of the chosen layers as a static site (optimized image,
 * kernel, top patches with deconvnet projections, statistics, receptive field). Thin: parses
 * the options, draws the progress bar with its ETA, and runs the library's `buildAtlas`
 * (src/node/atlas). A rerun into the same SITE resumes: finished units are not run again.
 */
import type { Command } from 'commander';
import path from 'node:path';
import { DEFAULT_PRESET, PRESETS } from '../../core/optimize/presets.js';
import { SETTING_OPTIONS, kebab } from '../../core/optimize/setting-options.js';
import { buildAtlas } from '../../node/atlas/run.js';
import { atlasRun } from '../../node/atlas/setup.js';
import { TOOL } from '../../node/package-info.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import { ConvscopeError } from '../../core/errors.js';
import { intOption, positiveInt, workerCount } from '../option-values.js';
import { startProgress } from '../progress.js';

interface AtlasOptions extends GlobalOptions {
  out?: string;
  layers?: string;
  images?: string;
  preset: string;
  top: string;
  workers?: string;
  batch?: string;
  queue?: string;
  [setting: string]: unknown;
}

const minutes = (seconds: number) =>
  seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;

export function addAtlasCommand(program: Command): void {
  const command = program
    .command('atlas')
    .description('every unit of a model as a static site: optimized image, kernel, top patches')
    .option('--out <site>', 'the site folder (rerun into it to resume)')
    .option('--layers <names>', 'conv layers, comma-separated, or all-conv', 'all-conv')
    .option('--images <dir>', 'dataset images: each unit gets its top patches and projections')
    .option(
      '--preset <name>',
      `settings preset: ${PRESETS.map((p) => p.name).join(', ')}`,
      DEFAULT_PRESET,
    )
    .option('--top <k>', 'patches per unit', '9')
    .option('--workers <n>', 'worker threads of the optimization (default: one per core)')
    .option('--batch <n>', 'units per optimization batch (the unit of resumption)', '16')
    .option(
      '--queue <url>',
      'run the optimization and scan on `convscope worker`s (BullMQ on this Redis URL)',
    );
  for (const option of SETTING_OPTIONS) {
    const choices = option.choices ? ` (${option.choices.join(' | ')})` : '';
    command.option(
      `--${kebab(option.key)} <value>`,
      `${option.description}${choices}; default from the preset`,
    );
  }
  withModelOptions(command, { seed: true, ownSize: true }).action(
    action(async (options: AtlasOptions) => {
      if (options.out === undefined) {
        throw new ConvscopeError(
          '--out SITE is required',
          'name the folder the site is written to',
        );
      }
      const top = positiveInt(options.top, '--top')!;
      const batch = positiveInt(options.batch, '--batch')!;
      const workers =
        options.workers === undefined
          ? undefined
          : workerCount(options.workers, { quiet: options.quiet });
      const seed = intOption(options.seed, '--seed', 'any') ?? 0;
      const { model, backend, engine } = await setUp(options);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      const note = (line: string) =>
        options.quiet || options.json ? undefined : process.stderr.write(`${line}\n`);
      const { model: spec, weights, arch, inputRange, preprocess, labels, size } = options;
      const { run, dispose } = await atlasRun({
        model,
        engine,
        backend,
        modelOptions: { model: spec, weights, arch, inputRange, preprocess, labels, size },
        out: options.out,
        layers: options.layers,
        images: options.images,
        preset: options.preset,
        overrides: Object.fromEntries(
          SETTING_OPTIONS.map((o) => [o.key, options[o.key] as string | undefined]),
        ),
        seed,
        top,
        workers: typeof workers === 'number' ? workers : undefined,
        batch,
        queue: options.queue,
        note,
        tool: TOOL,
        signal: controller.signal,
      });
      let bar = startProgress(1, 'units', true);
      let doneNow = 0;
      try {
        for await (const event of buildAtlas(run)) {
          if (event.kind === 'start') {
            note(
              `atlas: ${event.units} units in ${run.layers.length} layers, ${event.done} done before, ${event.pending} to build`,
            );
            bar = startProgress(
              Math.max(1, event.pending),
              'units',
              options.quiet || options.json,
              ' | {what}',
            );
            bar.update(0, { what: 'kernels' });
          } else if (event.kind === 'scan')
            bar.update(0, { what: `scan ${event.images}/${event.total} images` });
          else if (event.kind === 'patches') bar.update(0, { what: `patches of ${event.layer}` });
          else if (event.kind === 'step') {
            bar.update(doneNow, {
              what: `${event.layer} ${event.units[0]}-${event.units.at(-1)} step ${event.step}/${event.steps}`,
            });
          } else if (event.kind === 'units') {
            doneNow = event.doneNow;
            bar.update(event.doneNow, {
              what: `${event.layer} ${event.units[0]}-${event.units.at(-1)} done`,
            });
            if (!process.stderr.isTTY) {
              note(
                `${event.doneNow}/${event.pendingAtStart} units (${event.layer} ${event.units[0]}-${event.units.at(-1)}), about ${minutes(event.etaSeconds)} left`,
              );
            }
          } else if (event.kind === 'done') {
            bar.stop();
            const { manifest } = event;
            const dead = manifest.units.filter((u) => u.stats?.dead).length;
            if (options.json)
              printJson({
                out: options.out,
                units: manifest.units.length,
                dead,
                seconds: event.seconds,
                totalSeconds: manifest.seconds,
              });
            else
              process.stdout.write(
                `${manifest.units.length} units (${dead} dead) in ${minutes(event.seconds)}: ${path.join(options.out, 'index.html')}\n`,
              );
          }
        }
      } catch (error) {
        if (controller.signal.aborted)
          throw new ConvscopeError(
            'interrupted',
            'the finished units are saved; run the same command again to resume',
          );
        throw error;
      } finally {
        bar.stop();
        process.removeListener('SIGINT', stop);
        dispose();
        model.dispose();
      }
    }),
  );
}
