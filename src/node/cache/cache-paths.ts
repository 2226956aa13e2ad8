/**
 * Where convscope keeps what it downloads and converts, and which zoo records exist. The
 * cache directory is `CONVSCOPE_CACHE`, else `$XDG_CACHE_HOME/convscope`, else
 * `~/.cache/convscope`. Downloads keep their published relative paths under `downloads/`
 * (`downloads/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`), converted TF.js
 * models live in `models/<name>/` (model.json, shards, labels.json). `CONVSCOPE_MIRROR`
 * replaces the download hosts; `CONVSCOPE_ZOO` names a JSON file of extra zoo records.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import { ZOO, parseZooRecords, type ZooFile, type ZooRecord } from '../../core/models/zoo.js';

export type Env = Record<string, string | undefined>;

/** The cache root for this environment (not created here). */
export function cacheDir(env: Env = process.env): string {
  if (env.CONVSCOPE_CACHE) return path.resolve(env.CONVSCOPE_CACHE);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'convscope');
  return path.join(env.HOME || os.homedir(), '.cache', 'convscope');
}

/** Where a downloaded zoo file is kept. */
export function downloadPath(file: ZooFile, env: Env = process.env): string {
  return path.join(cacheDir(env), 'downloads', ...file.path.split('/'));
}

/** Where the converted TF.js copy of a zoo model is kept (a directory with model.json). */
export function modelDir(name: string, env: Env = process.env): string {
  return path.join(cacheDir(env), 'models', name);
}

/** The mirror base URL, if CONVSCOPE_MIRROR is set. */
export function mirror(env: Env = process.env): string | undefined {
  return env.CONVSCOPE_MIRROR || undefined;
}

/** The built-in zoo plus the records of the JSON file named by CONVSCOPE_ZOO, if any. */
export function zooRecords(env: Env = process.env): ZooRecord[] {
  const file = env.CONVSCOPE_ZOO;
  if (!file) return [...ZOO];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConvscopeError(
      `cannot read CONVSCOPE_ZOO file ${file}: ${(error as Error).message}`,
      'point CONVSCOPE_ZOO at a JSON array of zoo records, or unset it',
    );
  }
  const extra = parseZooRecords(json, file);
  const clash = extra.find((r) => ZOO.some((z) => z.name === r.name));
  if (clash) {
    throw new ConvscopeError(
      `${file}: '${clash.name}' is already a built-in zoo model`,
      'give the extra record another name',
    );
  }
  return [...ZOO, ...extra];
}
