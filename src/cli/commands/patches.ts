/**
 * `convscope patches --images DIR --layer L [--out DIR]`: the top-k dataset patches of each channel
 * (Zeiler & Fergus), cropped to the receptive field of the strongest unit, optionally with the
 * deconvnet projection beside each patch (--deconv). The scan is saved in DIR/patches-index.json
 * and resumed or reused by later runs; undecodable images are skipped and listed. The scan runs
 * on a pool of worker threads (--workers N; by default one per core when the scan is long enough
 * to repay starting them; --workers 1: in this process).
 */
import type { Command } from 'commander';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import { parseIndexSpec } from '../../core/methods/index-spec.js';
import { writeBytesAtomic } from '../../node/atomic-write.js';
import { expandImagePaths, type Fit } from '../../node/images.js';
import { renderPatches } from '../../node/patches-render.js';
import { engineThreads } from '../../node/engine.js';
import { indexKey } from '../../node/patches-index.js';
import { scanPatches } from '../../node/patches-scan.js';
import { scanRunner } from '../../node/queue/runners.js';
import { action, printJson, setUp, withModelOptions, type GlobalOptions } from '../common.js';
import { addAliasedOption } from '../option-aliases.js';
import { startProgress } from '../progress.js';
import { FITS, choice, positiveInt, workerCount } from '../option-values.js';

interface PatchesOptions extends GlobalOptions {
  images: string[];
  layer: string;
  filters: string;
  top: string;
  deconv?: boolean;
  batch: string;
  fit: Fit;
  rescan?: boolean;
  workers: string;
  out: string;
  queue?: string;
  resume?: string;
}

export function addPatchesCommand(program: Command): void {
  const command = program
    .command('patches')
    .description('top-k dataset patches per filter (receptive-field crops)');
  addAliasedOption(command, {
    flags: '--images <path...>',
    description: 'image folders or files to scan',
    aliases: [{ flags: '--image <path...>', note: 'the same' }],
    required: true,
  });
  withModelOptions(
    command
      .requiredOption('--layer <names>', 'conv or pooling layers (comma-separated)')
      .option(
        '--out <dir>',
        'output folder (grids, patches, manifest.json, scan index)',
        'patches-out',
      )
      .option('--filters <spec>', 'filters (output channels) to show: 0-7, 3,9,12 or all', 'all')
      .option('--top <k>', 'patches per channel', '9')
      .option('--deconv', 'also the deconvnet projection beside each patch')
      .option('--batch <n>', 'images per forward pass', '32')
      .option('--fit <mode>', 'cover | fill | contain', 'cover')
      .option('--rescan', 'ignore a saved scan index')
      .option(
        '--workers <n>',
        'scan threads: a number, or auto (one per core when the scan is long enough to repay starting them)',
        'auto',
      )
      .option(
        '--queue <url>',
        'scan the shards on `convscope worker` processes through BullMQ on this Redis URL',
      )
      .option('--resume <id>', 'collect the queued scan ID that this command started before'),
  ).action(
    action(async (options: PatchesOptions) => {
      if (options.resume !== undefined && options.queue === undefined) {
        throw new ConvscopeError('--resume continues a queued scan: give --queue URL too');
      }
      const k = positiveInt(options.top, '--top')!;
      const batch = positiveInt(options.batch, '--batch');
      choice(options.fit, FITS, '--fit');
      const requested =
        options.workers === 'auto'
          ? 'auto'
          : workerCount(options.workers, { quiet: options.quiet });
      const files = await expandImagePaths(options.images);
      const opening = performance.now();
      const { model, backend, engine } = await setUp(options);
      // ONNX Runtime already spreads one forward pass over every core: auto keeps one process;
      // explicit workers share the threads.
      const threads = engineThreads(engine);
      const workers = requested === 'auto' && engine.name === 'onnx' ? 1 : requested;
      // What a worker will pay again to start: its own backend and model, plus tfjs itself.
      const workerStartSeconds = (performance.now() - opening) / 1000 + 1;
      const layers = options.layer.split(',').map((n) => model.layer(n.trim()).name);
      const channelsOf = (name: string) =>
        parseIndexSpec(
          options.filters,
          model.layer(name).channels ?? 0,
          'channel',
          `layer '${name}'`,
        );
      for (const name of layers) channelsOf(name);
      const indexFile = path.join(options.out, 'patches-index.json');
      const bar = startProgress(files.length, 'images', options.quiet);
      const { model: spec, weights, arch, inputRange, preprocess, labels, size, env } = options;
      const stop = new AbortController();
      const interrupt = () => stop.abort();
      process.once('SIGINT', interrupt);
      const worker = {
        model: { model: spec, weights, arch, inputRange, preprocess, labels, size, env },
        backend,
        engine: engine.name,
        threads: Math.max(1, Math.floor(threads / (typeof workers === 'number' ? workers : 1))),
      };
      // A queued scan is known by what decides its index (so a resumed scan finds its run).
      const runner = options.queue
        ? scanRunner(
            {
              url: options.queue,
              resume: options.resume,
              note: (line) => (options.quiet ? undefined : process.stderr.write(`${line}\n`)),
            },
            worker,
            {
              index: indexKey(
                model,
                files.map((f) => path.resolve(f)),
                options.fit,
              ),
              layers,
              k,
              batch,
            },
          )
        : undefined;
      const scan = await scanPatches(model, files, layers, {
        k,
        batch,
        fit: options.fit,
        indexFile: options.rescan ? undefined : indexFile,
        onProgress: (done) => bar.update(done),
        workers,
        workerStartSeconds,
        engine,
        worker,
        runShards: runner,
        signal: stop.signal,
      })
        .catch((error: unknown) => {
          if (!stop.signal.aborted) throw error;
          throw new ConvscopeError('interrupted', 'the scan is saved; run again to resume it');
        })
        .finally(() => {
          process.off('SIGINT', interrupt);
          bar.stop();
        });
      if (options.rescan) await writeBytesAtomic(indexFile, JSON.stringify(scan.index));
      const { index } = scan;
      // Queued: the worker processes that ran this call's shards.
      const scanWorkers = runner ? runner.stats.workers.size : scan.workers;
      const where = runner
        ? `${scanWorkers} queue worker${scanWorkers === 1 ? '' : 's'}`
        : scan.workers === 1
          ? 'one process'
          : `${scan.workers} workers`;
      const rate = scan.scannedNow / Math.max(scan.seconds, 1e-6);
      if (!options.quiet) {
        const skipped =
          scan.skippedNow > 0 ? `, skipped ${scan.skippedNow} that would not decode` : '';
        process.stderr.write(
          scan.scannedNow + scan.skippedNow > 0
            ? `scanned ${scan.scannedNow} images${skipped} in ${scan.seconds.toFixed(2)} s (${rate.toPrecision(3)} images/s, ${where}, ${engine.description})\n`
            : `reused the saved scan in ${indexFile}\n`,
        );
        for (const s of index.skipped) process.stderr.write(`skipped ${s.file}: ${s.error}\n`);
      }
      const results = [];
      for (const layer of layers) {
        const rendered = await renderPatches(model, index, layer, {
          channels: channelsOf(layer),
          k,
          outDir: options.out,
          deconv: options.deconv,
          fit: options.fit,
        });
        if (!options.quiet) process.stderr.write(`wrote ${rendered.grid}\n`);
        results.push({
          layer,
          images: options.images.length === 1 ? options.images[0] : options.images,
          scanned: index.files.length - index.skipped.length,
          skipped: index.skipped,
          seconds: scan.seconds,
          imagesPerSecond: scan.scannedNow > 0 ? rate : null,
          workers: scanWorkers,
          engine: engine.name,
          grid: rendered.grid,
          filters: rendered.filters,
        });
      }
      const manifest = results.length === 1 ? results[0] : results;
      await writeBytesAtomic(
        path.join(options.out, 'manifest.json'),
        JSON.stringify(manifest, null, 2),
      );
      if (options.json) printJson(manifest);
      model.dispose();
      if (index.files.length === index.skipped.length) {
        throw new ConvscopeError('no image could be decoded', 'check the --images paths');
      }
    }),
  );
}
