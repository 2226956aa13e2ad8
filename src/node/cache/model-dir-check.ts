/**
 * Checks a converted model folder in the cache before it is trusted: model.json must parse,
 * and every file its `convscope.files` block records (shards, labels.json) must have the
 * recorded size, and with `hashes` the recorded SHA-256 too. Folders converted before that
 * block existed are checked against the byte counts their weights manifest implies. The
 * answer is `absent`, `ok`, or `damaged` with the first problem in words.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { groupBytes, type WeightsGroup } from '../../core/models/layers-artifacts.js';
import type { RecordedFile } from './tfjs-model-dir.js';

export type ModelDirState =
  { state: 'absent' } | { state: 'ok' } | { state: 'damaged'; problem: string };

interface SavedModelJson {
  weightsManifest?: WeightsGroup[];
  convscope?: { files?: Record<string, RecordedFile> };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(file: string): Promise<number | null> {
  return (await stat(file).catch(() => null))?.size ?? null;
}

async function checkRecorded(
  dir: string,
  files: Record<string, RecordedFile>,
  hashes: boolean,
): Promise<string | null> {
  for (const [name, expected] of Object.entries(files)) {
    const file = path.join(dir, name);
    const size = await sizeOf(file);
    if (size === null) return `${name} is missing`;
    if (size !== expected.bytes) return `${name} is ${size} bytes but should be ${expected.bytes}`;
    if (hashes && (await sha256(file)) !== expected.sha256) {
      return `${name} does not have the SHA-256 recorded at conversion`;
    }
  }
  return null;
}

async function checkManifest(dir: string, groups: WeightsGroup[]): Promise<string | null> {
  for (const group of groups) {
    let got = 0;
    for (const name of group.paths) {
      const size = await sizeOf(path.join(dir, name));
      if (size === null) return `${name} is missing`;
      got += size;
    }
    if (got !== groupBytes(group)) {
      return `${group.paths.join(', ')} hold ${got} bytes but should hold ${groupBytes(group)}`;
    }
  }
  return null;
}

/**
 * The state of the converted model in `dir`.
 * @example if ((await checkModelDir(dir)).state !== 'ok') await convertAgain();
 */
export async function checkModelDir(
  dir: string,
  options: { hashes?: boolean } = {},
): Promise<ModelDirState> {
  const text = await readFile(path.join(dir, 'model.json'), 'utf8').catch(() => null);
  if (text === null) return { state: 'absent' };
  let json: SavedModelJson;
  try {
    json = JSON.parse(text) as SavedModelJson;
  } catch {
    return { state: 'damaged', problem: 'model.json is not valid JSON' };
  }
  const files = json.convscope?.files;
  const problem = files
    ? await checkRecorded(dir, files, options.hashes ?? false)
    : await checkManifest(dir, json.weightsManifest ?? []);
  return problem === null ? { state: 'ok' } : { state: 'damaged', problem };
}
