/**
 * The zoo cache: makes a zoo model ready to open. The Keras HDF5 weights are downloaded once
 * (verified, see download.ts) or imported by hand (`models add`), loaded into the architecture
 * built in code, and written as a TF.js layers model under `models/<name>/`; later runs and
 * the browser load that converted copy. Labels files are cached the same way. Every entry a
 * user can name (`vgg16`, ..., `imagenet-labels`) is listed by `cacheEntries`. Nothing is
 * trusted for being there: a download must have its size (and, before a conversion, its hash),
 * a converted folder the sizes recorded at conversion (hashes too for `models fetch`); what
 * fails is converted or downloaded again, with a note. Stale temporaries are swept first.
 */
import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { CACHE_REMEDY } from '../fs-errors.js';
import { ConvscopeError, listForMessage } from '../../core/errors.js';
import {
  buildZooArchitecture,
  parseImagenetLabels,
  zooFileUrl,
  type ZooFile,
  type ZooRecord,
} from '../../core/models/zoo.js';
import { loadKerasWeightsFile } from '../keras-hdf5-file.js';
import { cacheDir, downloadPath, mirror, modelDir, zooRecords, type Env } from './cache-paths.js';
import { sweepCache } from './cache-sweep.js';
import { downloadFile, verifyFile } from './download.js';
import { checkModelDir } from './model-dir-check.js';
import { saveModelDir } from './tfjs-model-dir.js';

export interface CacheOptions {
  env?: Env;
  /** Progress bars and notes on stderr (default true). */
  progress?: boolean;
  /** Check hashes of what is already cached, not only sizes (`models fetch`). */
  verify?: boolean;
}

function note(options: CacheOptions, text: string): void {
  if (options.progress !== false) process.stderr.write(`${text}\n`);
}

/** Removes stale temporaries once per process (see cache-sweep.ts), with a note. */
async function sweep(options: CacheOptions): Promise<void> {
  const removed = await sweepCache(cacheDir(options.env ?? process.env));
  if (removed.length > 0) {
    note(
      options,
      `removed ${removed.length} leftover(s) of interrupted runs: ${removed.join(', ')}`,
    );
  }
}

/** Why a cached download cannot be trusted (null: it can); hashes only with `verify`. */
async function downloadProblem(
  dest: string,
  file: ZooFile,
  verify: boolean,
): Promise<string | null> {
  const size = (await stat(dest).catch(() => null))?.size;
  if (size === undefined) return 'absent';
  if (file.bytes !== undefined && size !== file.bytes) {
    return `it is ${size} bytes but should be ${file.bytes}`;
  }
  if (!verify) return null;
  return verifyFile(dest, file, dest, '').then(
    () => null,
    (error: Error) => error.message.replace(/; nothing was cached$/, ''),
  );
}

/** Something `models add` and `models path` can name: a model's weights or a labels file. */
export interface CacheEntry {
  name: string;
  kind: 'weights' | 'labels';
  file: ZooFile;
  record?: ZooRecord;
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null;
}

/** The name under which a record's labels file is cached and added. */
export function labelsEntryName(file: ZooFile, owner: string): string {
  return file.path === 'imagenet_class_index.json' ? 'imagenet-labels' : `${owner}-labels`;
}

/** Every nameable entry: each model's weights, then each distinct labels file. */
export function cacheEntries(records: readonly ZooRecord[] = zooRecords()): CacheEntry[] {
  const entries: CacheEntry[] = records.map((record) => ({
    name: record.name,
    kind: 'weights',
    file: record.weights,
    record,
  }));
  for (const record of records) {
    if (!record.labels) continue;
    const name = labelsEntryName(record.labels, record.name);
    if (!entries.some((e) => e.name === name)) {
      entries.push({ name, kind: 'labels', file: record.labels });
    }
  }
  return entries;
}

/** The entry called `name`; the error lists the names there are. */
export function findCacheEntry(name: string, env: Env = process.env): CacheEntry {
  const entries = cacheEntries(zooRecords(env));
  const entry = entries.find((e) => e.name === name);
  if (!entry) {
    throw new ConvscopeError(
      `unknown model or file '${name}'; known: ${listForMessage(entries.map((e) => e.name))}`,
      'see `convscope models list`',
    );
  }
  return entry;
}

/** The cached copy of a zoo file, downloading it first when absent. */
export async function ensureFile(
  file: ZooFile,
  entryName: string,
  options: CacheOptions = {},
): Promise<string> {
  const env = options.env ?? process.env;
  await sweep(options);
  const dest = downloadPath(file, env);
  // Only verified downloads are renamed to `dest`, but a file can be damaged later.
  const problem = await downloadProblem(dest, file, options.verify ?? false);
  if (problem === null) return dest;
  if (problem !== 'absent') {
    note(options, `the cached ${dest} is damaged (${problem}); downloading it again`);
    await rm(dest, { force: true });
  }
  await downloadFile({
    url: zooFileUrl(file, mirror(env)),
    dest,
    expect: file,
    progress: options.progress,
    fallbackHint: `download ${path.basename(file.path)} by hand and run \`convscope models add FILE --as ${entryName}\``,
  });
  return dest;
}

/** A record's class names, downloading the labels file when needed (undefined: no labels). */
export async function ensureLabels(
  record: ZooRecord,
  options: CacheOptions & { offline?: boolean } = {},
): Promise<string[] | undefined> {
  if (!record.labels) return undefined;
  const name = labelsEntryName(record.labels, record.name);
  const cached = downloadPath(record.labels, options.env ?? process.env);
  if (options.offline && !(await exists(cached))) return undefined;
  const file = await ensureFile(record.labels, name, options);
  return parseImagenetLabels(await readFile(file, 'utf8'));
}

/** Loads a Keras file into the record's architecture and writes the TF.js copy. */
async function convert(
  record: ZooRecord,
  h5: string,
  labels: string[] | undefined,
  options: CacheOptions,
): Promise<string> {
  const env = options.env ?? process.env;
  const dir = modelDir(record.name, env);
  if (options.progress !== false) {
    process.stderr.write(`converting ${path.basename(h5)} to TF.js format in ${dir}\n`);
  }
  const model = buildZooArchitecture(record);
  try {
    await loadKerasWeightsFile(model, h5, {
      hint: `is it the weights file of ${record.name}?`,
    });
    const meta = { zoo: record.name, preprocess: record.preprocess, weights: record.weights.path };
    await saveModelDir(model, dir, { labels, meta });
  } finally {
    model.dispose();
  }
  return dir;
}

/**
 * The directory of the converted TF.js copy of a zoo model: downloaded and converted on first
 * use, reused afterwards. `labels` is asked for once the weights are in (so a failed weights
 * download leaves no labels file behind either); they are written beside model.json.
 */
export async function ensureZooModel(
  record: ZooRecord,
  options: CacheOptions & { labels?: () => Promise<string[] | undefined> } = {},
): Promise<string> {
  const dir = modelDir(record.name, options.env ?? process.env);
  await sweep(options);
  const check = await checkModelDir(dir, { hashes: options.verify });
  if (check.state === 'ok') return dir;
  if (check.state === 'damaged') {
    note(
      options,
      `the converted ${record.name} in ${dir} is damaged (${check.problem}); converting it again`,
    );
  }
  // The download is hashed before every conversion, so a damaged one is fetched again.
  const h5 = await ensureFile(record.weights, record.name, { ...options, verify: true });
  return convert(record, h5, await options.labels?.(), options);
}

/**
 * Forgets what the cache holds for `entry` (download, resumable part, converted folder), for
 * `models fetch --force`.
 */
export async function discardEntry(entry: CacheEntry, env: Env = process.env): Promise<void> {
  const download = downloadPath(entry.file, env);
  for (const file of [download, `${download}.part`, `${download}.part.json`]) {
    await rm(file, { force: true });
  }
  if (entry.kind === 'weights')
    await rm(modelDir(entry.name, env), { recursive: true, force: true });
}

/**
 * Imports a file downloaded by hand (air-gapped machines) as entry `name`: checks its size and
 * hash when the zoo knows them, copies it into the cache atomically, and converts weights to
 * TF.js right away (which also proves the file fits the architecture). Returns the cached path.
 */
export async function addToCache(
  file: string,
  name: string,
  options: CacheOptions = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const entry = findCacheEntry(name, env);
  if (!(await exists(file))) {
    throw new ConvscopeError(`no such file: ${file}`, 'pass the path of the downloaded file');
  }
  const expected = path.basename(entry.file.path);
  await verifyFile(
    file,
    entry.file,
    file,
    `is it ${expected} from ${zooFileUrl(entry.file)}? download it again`,
  );
  if (entry.kind === 'labels') parseImagenetLabels(await readFile(file, 'utf8'));
  const dest = downloadPath(entry.file, env);
  await writeFileAtomic(dest, (temporary) => copyFile(file, temporary), {
    remedy: CACHE_REMEDY,
  });
  if (entry.kind === 'weights' && entry.record) {
    const labels = await ensureLabels(entry.record, { ...options, offline: true }).catch(
      () => undefined,
    );
    try {
      return await convert(entry.record, dest, labels, options);
    } catch (error) {
      await rm(dest, { force: true });
      throw error;
    }
  }
  return dest;
}

export interface CacheStatus {
  name: string;
  kind: 'weights' | 'labels';
  description: string;
  /** True when it can be used offline (converted, or downloaded and convertible). */
  cached: boolean;
  /** Size of the download (the cached file's size, else the zoo's), null when unknown. */
  bytes: number | null;
  /** The converted model directory (weights) or the cached file (labels). */
  path: string;
  url: string;
  /** What is wrong with the converted copy, when it fails its check. */
  problem?: string;
}

/** What the cache holds for every entry (`models list`). */
export async function cacheStatus(env: Env = process.env): Promise<CacheStatus[]> {
  const statuses: CacheStatus[] = [];
  await sweep({ env, progress: false });
  for (const entry of cacheEntries(zooRecords(env))) {
    const download = downloadPath(entry.file, env);
    const size = (await stat(download).catch(() => null))?.size;
    const downloaded = (await downloadProblem(download, entry.file, false)) === null;
    const check = entry.record ? await checkModelDir(modelDir(entry.name, env)) : null;
    statuses.push({
      name: entry.name,
      kind: entry.kind,
      description: entry.record?.description ?? 'class names',
      cached: check?.state === 'ok' || downloaded,
      bytes: size ?? entry.file.bytes ?? null,
      path: entry.kind === 'weights' ? modelDir(entry.name, env) : download,
      url: zooFileUrl(entry.file, mirror(env)),
      ...(check?.state === 'damaged' ? { problem: check.problem } : {}),
    });
  }
  return statuses;
}

export { cacheDir };
