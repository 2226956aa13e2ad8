/**
 * `convscope models list|fetch NAME|path NAME|add FILE --as NAME`: the model cache. `fetch`
 * downloads (verified, with a progress bar) and converts a zoo model ahead of use, checking
 * the hashes of what is already cached (`--force` discards it and starts afresh); `add`
 * imports a file downloaded by hand, for machines without network; `path` says where an
 * entry lives; `list` shows what is cached. Data on stdout (`--json` for machines), progress
 * on stderr.
 */
import type { Command } from 'commander';
import { initBackend } from '../../node/backend.js';
import { cacheDir } from '../../node/cache/cache-paths.js';
import { formatBytes } from '../../node/cache/progress.js';
import {
  addToCache,
  cacheStatus,
  ensureFile,
  ensureLabels,
  discardEntry,
  ensureZooModel,
  findCacheEntry,
} from '../../node/cache/zoo-cache.js';
import { action, formatTable, printJson } from '../common.js';

interface ModelsOptions {
  json?: boolean;
  quiet?: boolean;
  backend?: string;
  as?: string;
  force?: boolean;
}

async function statusOf(name: string) {
  const status = (await cacheStatus()).find((s) => s.name === name);
  return status!;
}

async function list(options: ModelsOptions): Promise<void> {
  const statuses = await cacheStatus();
  if (options.json) {
    printJson(
      statuses.map(({ name, cached, bytes, path, kind, url, problem }) => ({
        name,
        cached,
        bytes,
        path,
        kind,
        url,
        ...(problem ? { problem } : {}),
      })),
    );
    return;
  }
  process.stdout.write(`cache: ${cacheDir()}\n\n`);
  const rows = statuses.map((s) => [
    s.name,
    s.cached ? 'yes' : s.problem ? 'damaged' : 'no',
    s.bytes === null ? '?' : formatBytes(s.bytes),
    s.description,
  ]);
  process.stdout.write(`${formatTable(['name', 'cached', 'size', 'description'], rows)}\n`);
}

async function fetchEntry(name: string, options: ModelsOptions): Promise<void> {
  const entry = findCacheEntry(name);
  const progress = !options.quiet;
  if (options.force) await discardEntry(entry);
  if (entry.kind === 'labels') {
    await ensureFile(entry.file, entry.name, { progress, verify: true });
  } else if (entry.record) {
    await initBackend(options.backend ?? 'wasm');
    const record = entry.record;
    const labels = () => ensureLabels(record, { progress });
    await ensureZooModel(record, { progress, verify: true, labels });
    await ensureLabels(record, { progress });
  }
  const status = await statusOf(name);
  if (options.json)
    printJson({ name, path: status.path, bytes: status.bytes, cached: status.cached });
  else process.stdout.write(`${status.path}\n`);
}

async function pathOf(name: string, options: ModelsOptions): Promise<void> {
  findCacheEntry(name);
  const status = await statusOf(name);
  if (options.json) printJson({ name, path: status.path, cached: status.cached });
  else process.stdout.write(`${status.path}\n`);
}

async function add(file: string, options: ModelsOptions): Promise<void> {
  const name = options.as!;
  const entry = findCacheEntry(name);
  if (entry.kind === 'weights') await initBackend(options.backend ?? 'wasm');
  await addToCache(file, name, { progress: !options.quiet });
  const status = await statusOf(name);
  if (options.json)
    printJson({ name, path: status.path, bytes: status.bytes, cached: status.cached });
  else process.stdout.write(`${status.path}\n`);
}

/** Registers `models` and its subcommands. */
export function addModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('the model cache: list, fetch, path, add (CONVSCOPE_CACHE, CONVSCOPE_MIRROR)');
  const common = (command: Command) =>
    command
      .option('--json', 'machine-readable result on stdout')
      .option('--verbose', 'show stack traces on errors');
  common(
    models.command('list').description('zoo models and labels, and whether they are cached'),
  ).action(action(async (options: ModelsOptions) => list(options)));
  common(
    models
      .command('fetch')
      .argument('<name>', 'zoo model (vgg16, vgg16-notop, ...) or imagenet-labels'),
  )
    .description('download, verify and convert a zoo model into the cache')
    .option('--quiet', 'no progress output')
    .option('--backend <name>', 'wasm | cpu (for the conversion)', 'wasm')
    .option('--force', 'discard what is cached (download, partial download, conversion) first')
    .action(action(async (name: string, options: ModelsOptions) => fetchEntry(name, options)));
  common(models.command('path').argument('<name>', 'zoo model or imagenet-labels'))
    .description('where the cached model (model.json directory) or file is, or will be')
    .action(action(async (name: string, options: ModelsOptions) => pathOf(name, options)));
  common(models.command('add').argument('<file>', 'a file downloaded by hand'))
    .description('import a downloaded weights or labels file into the cache (air-gapped machines)')
    .requiredOption(
      '--as <name>',
      'the zoo name it belongs to (vgg16, vgg16-notop, ..., imagenet-labels)',
    )
    .option('--quiet', 'no progress output')
    .option('--backend <name>', 'wasm | cpu (for the conversion)', 'wasm')
    .action(action(async (file: string, options: ModelsOptions) => add(file, options)));
}
