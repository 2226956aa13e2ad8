/**
 * What travels through the queue, and the checks a worker makes before it runs anything. A
 * run is one BullMQ flow: a parent job (`assemble`) over one child job per shard (`maximize`
 * for filters and classes, `scan` for patches), each carrying how to open the model (the
 * same serializable options the worker threads of a local run get) and the shard itself (the
 * same task a local worker thread runs). Job data is plain JSON from whoever can write to
 * Redis, so a worker trusts none of it: `checkJob` checks every field's type and range, model
 * specs are only ever opened by `openModel` (paths, URLs and zoo names, validated as on the
 * CLI), image paths are only ever read as images, and nothing is evaluated or imported.
 */
import { createHash } from 'node:crypto';
import { ConvscopeError } from '../../core/errors.js';
import { readObjectiveSpec } from '../../core/objectives/objective-spec.js';
import type { MaximizeShard, MaximizeWorkerData } from '../maximize-pool.js';
import type { PatchesWorkerData, ShardTask } from '../patches-shard.js';

/** A shard of activation maximization (filters, classes). */
export interface MaximizeJob {
  run: string;
  /** The shard's position in the run (its items' order). */
  shard: number;
  /** Says which items, for logs and messages: `block2_conv2 channels 4-7`. */
  name: string;
  setup: MaximizeWorkerData;
  /** `probability`: also the model's softmax probability of each item's class. */
  task: MaximizeShard & { probability?: boolean };
}

/** A shard of a patch scan: files by absolute path (workers need the same paths). */
export interface ScanJob {
  run: string;
  shard: number;
  name: string;
  setup: PatchesWorkerData;
  task: ShardTask;
}

/** The parent of a run's shards: when they are all done, a worker assembles a summary. */
export interface AssembleJob {
  run: string;
  command: string;
  shards: number;
}

export type JobName = 'maximize' | 'scan' | 'assemble';

const BACKENDS = ['wasm', 'cpu'];
const ENGINES = ['tfjs', 'onnx'];
const FITS = ['cover', 'fill', 'contain'];

function bad(field: string, why: string): never {
  throw new ConvscopeError(`refused job: ${field} ${why}`, 'submit runs with convscope itself');
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad(field, 'is not an object');
  }
  return value as Record<string, unknown>;
}

function int(value: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    bad(field, `must be a whole number from ${min} to ${max}`);
  }
  return value as number;
}

function text(value: unknown, field: string, max = 4096): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    bad(field, `must be a string of 1 to ${max} characters`);
  }
  return value;
}

function oneOf(value: unknown, field: string, allowed: string[]): string {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    bad(field, `must be one of ${allowed.join(', ')}`);
  }
  return value;
}

/** Only JSON numbers that are finite, strings, booleans, null, arrays and objects. */
function plainData(value: unknown, field: string, depth = 0): void {
  if (depth > 8) bad(field, 'is nested too deeply');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) bad(field, 'holds a number that is not finite');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => plainData(v, `${field}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) plainData(v, `${field}.${k}`, depth + 1);
    return;
  }
  bad(field, `holds a ${typeof value}`);
}

/**
 * The model options: the CLI's own strings, numbers and flags, which `openModel` then validates
 * as it does on the CLI; never `env` (a worker's cache and mirror are its own).
 */
function checkSetup(value: unknown, field: string): void {
  const setup = object(value, field);
  const model = object(setup.model, `${field}.model`);
  for (const [key, v] of Object.entries(model)) {
    const where = `${field}.model.${key}`;
    if (key === 'env' || key === 'quiet') bad(where, 'is not taken from a job');
    if (v === undefined || v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') int(v, where, 0, 1 << 20);
    else text(v, where);
  }
  oneOf(setup.backend, `${field}.backend`, BACKENDS);
  if (setup.engine !== undefined) oneOf(setup.engine, `${field}.engine`, ENGINES);
  if (setup.threads !== undefined) int(setup.threads, `${field}.threads`, 1, 1024);
  if (setup.size !== undefined) int(setup.size, `${field}.size`, 1, 16384);
}

function checkMaximizeTask(value: unknown): void {
  const task = object(value, 'task');
  if (!Array.isArray(task.specs) || task.specs.length === 0 || task.specs.length > 4096) {
    bad('task.specs', 'must list 1 to 4096 objectives');
  }
  for (const [i, raw] of task.specs.entries()) {
    // Every objective kind, recursively (objective-spec.ts), with the bad field's path; the
    // spec read back replaces the raw one, so a job queued by an older convscope (channels
    // as `index`) runs with today's field names.
    try {
      task.specs[i] = readObjectiveSpec(raw, `task.specs[${i}]`);
    } catch (error) {
      throw new ConvscopeError(
        `refused job: ${(error as Error).message}`,
        'submit runs with convscope itself',
      );
    }
  }
  plainData(object(task.settings, 'task.settings'), 'task.settings');
  int(object(task.settings, 'task.settings').steps, 'task.settings.steps', 1, 1_000_000);
  int(task.seed, 'task.seed', -(2 ** 31), 2 ** 31);
  int(task.history, 'task.history', 0, 1_000_000);
  if (task.frameEvery !== undefined) int(task.frameEvery, 'task.frameEvery', 1, 1_000_000);
  if (task.bestEvery !== undefined) int(task.bestEvery, 'task.bestEvery', 1, 1_000_000);
  if (task.probability !== undefined && typeof task.probability !== 'boolean') {
    bad('task.probability', 'must be true or false');
  }
}

function checkScanTask(value: unknown): void {
  const task = object(value, 'task');
  int(task.start, 'task.start', 0, 2 ** 31);
  if (!Array.isArray(task.files) || task.files.length === 0 || task.files.length > 65536) {
    bad('task.files', 'must list 1 to 65536 images');
  }
  for (const [i, file] of task.files.entries()) {
    if (!text(file, `task.files[${i}]`).startsWith('/')) bad(`task.files[${i}]`, 'is not absolute');
  }
  if (!Array.isArray(task.layers) || task.layers.length === 0) bad('task.layers', 'is empty');
  for (const [i, raw] of task.layers.entries()) {
    const layer = object(raw, `task.layers[${i}]`);
    text(layer.name, `task.layers[${i}].name`, 256);
    int(layer.k, `task.layers[${i}].k`, 1, 100_000);
  }
  oneOf(task.fit, 'task.fit', FITS);
}

/**
 * Checks a job's data before a worker touches it; throws a ConvscopeError naming the field.
 * Objective specs are replaced by their current form (old field names read, see
 * `readObjectiveSpec`).
 *
 * @example checkJob('scan', job.data) // throws "refused job: task.files[0] is not absolute"
 */
export function checkJob(name: string, data: unknown): void {
  const job = object(data, 'data');
  text(job.run, 'run', 128);
  if (name === 'assemble') {
    int(job.shards, 'shards', 0, 1 << 20);
    return;
  }
  int(job.shard, 'shard', 0, 1 << 20);
  text(job.name, 'name', 1024);
  checkSetup(job.setup, 'setup');
  if (name === 'maximize') checkMaximizeTask(job.task);
  else if (name === 'scan') checkScanTask(job.task);
  else bad('name', `'${name}' is not a convscope job (maximize, scan, assemble)`);
}

/**
 * A run's id, derived from everything that decides its result (so the same command finds its
 * own run again after the submitter died): `<prefix>-<16 hex digits of SHA-256>`.
 *
 * @example runId('filters', { setup, shards }) // 'filters-3f2a...'
 */
export function runId(prefix: string, inputs: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
  return `${prefix}-${digest.slice(0, 16)}`;
}

/** The job id of shard `key` of a run (BullMQ ids may not hold ':'). */
export function shardJobId(run: string, key: string): string {
  return `${run}-${key.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** `a-b` for a range of indices, `a` for one. */
function span(first: number, last: number): string {
  return first === last ? String(first) : `${first}-${last}`;
}

/** A maximization shard by its items: `block2_conv2 channels 0-3`, `classes 4-7`. */
export function maximizeShardName(task: MaximizeShard): string {
  const groups = new Map<string, number[]>();
  for (const [i, spec] of task.specs.entries()) {
    const [key, index] =
      spec.kind === 'class'
        ? ['classes', spec.index]
        : spec.kind === 'channel' || spec.kind === 'neuron'
          ? [`${spec.layer} channels`, spec.channel]
          : ['objectives', i];
    groups.set(key, [...(groups.get(key) ?? []), index]);
  }
  return [...groups]
    .map(([key, indices]) => `${key} ${span(Math.min(...indices), Math.max(...indices))}`)
    .join(', ');
}

/** A scan shard by its files: `images 32-63 (a.png ... b.png)`. */
export function scanShardName(task: ShardTask, names: string[]): string {
  const first = names[0];
  const last = names[names.length - 1];
  const which = names.length === 1 ? first : `${first} ... ${last}`;
  return `images ${span(task.start, task.start + names.length - 1)} (${which})`;
}
