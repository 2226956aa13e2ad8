/**
 * The shape check of a saved patch scan (`patches-index.json`) before it is trusted: a file
 * that is valid JSON with the right key but was edited by hand (or by another tool) must not
 * reach the renderer as `files[undefined]` ("cannot decode image undefined"). Every field the
 * scan and the renderer read is checked against the file list and the model's layers, and the
 * first wrong one is named with its path in the JSON.
 */
import { ConvscopeError } from '../core/errors.js';
import type { VisModel } from '../core/models/vis-model.js';
import type { PatchIndex } from './patches-index.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown, below = Infinity): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < below;

/**
 * Throws a ConvscopeError naming the first field of `value` that is not a scan index of
 * `files` for `model`; returns it typed otherwise.
 *
 * @example const index = checkIndexShape(JSON.parse(text), files, model, 'out/patches-index.json');
 */
export function checkIndexShape(
  value: unknown,
  files: readonly string[],
  model: VisModel,
  where: string,
): PatchIndex {
  const fail = (field: string, what: string): never => {
    throw new ConvscopeError(
      `the saved scan ${where} is damaged: ${field} ${what}`,
      'delete it, or run again with --rescan',
    );
  };
  const n = files.length;
  if (!isObject(value)) return fail('the top level', 'is not an object');
  const { files: listed, skipped, layers } = value;
  if (!Array.isArray(listed) || listed.length !== n || listed.some((f, i) => f !== files[i])) {
    fail('files', `is not the list of the ${n} files scanned`);
  }
  if (!Array.isArray(skipped)) fail('skipped', 'is not a list');
  for (const [i, s] of (skipped as unknown[]).entries()) {
    if (!isObject(s) || !files.includes(s.file as string) || typeof s.error !== 'string') {
      fail(`skipped[${i}]`, 'is not { file, error } for a scanned file');
    }
  }
  if (!isObject(layers)) return fail('layers', 'is not an object');
  for (const [name, entry] of Object.entries(layers)) {
    const at = `layers.${name}`;
    const node = model.layers.find((l) => l.name === name);
    if (!node) fail(at, 'is not a layer of the model');
    if (!isObject(entry)) return fail(at, 'is not an object');
    if (!isCount(entry.k) || entry.k < 1)
      fail(`${at}.k`, `is ${JSON.stringify(entry.k)}, not a positive integer`);
    if (!isCount(entry.scanned, n + 1)) {
      fail(`${at}.scanned`, `is ${JSON.stringify(entry.scanned)}, not a count of files (0-${n})`);
    }
    if (entry.ranges !== undefined) {
      const ok =
        Array.isArray(entry.ranges) &&
        entry.ranges.every(
          (r) =>
            Array.isArray(r) &&
            r.length === 2 &&
            isCount(r[0], n) &&
            isCount(r[1], n + 1) &&
            r[0] < r[1],
        );
      if (!ok) fail(`${at}.ranges`, `is not a list of [start, end) file ranges within 0-${n}`);
    }
    const [height, width, channels] = node!.outputShape;
    const top = entry.top;
    if (!Array.isArray(top) || (top.length !== 0 && top.length !== channels)) {
      fail(`${at}.top`, `is not a list per channel (${channels} channels)`);
    }
    for (const [c, list] of (top as unknown[]).entries()) {
      if (!Array.isArray(list) || list.length > (entry.k as number)) {
        fail(`${at}.top[${c}]`, `is not a list of at most k = ${entry.k} entries`);
      }
      for (const [r, e] of (list as unknown[]).entries()) {
        const field = `${at}.top[${c}][${r}]`;
        if (!isObject(e)) return fail(field, 'is not an object');
        if (typeof e.value !== 'number' || !Number.isFinite(e.value))
          fail(`${field}.value`, 'is not a finite number');
        if (!isCount(e.image, n))
          fail(`${field}.image`, `is ${JSON.stringify(e.image)}, not a file index (0-${n - 1})`);
        if (!isCount(e.y, height ?? Infinity) || !isCount(e.x, width ?? Infinity)) {
          fail(
            field,
            `has y, x = ${JSON.stringify(e.y)}, ${JSON.stringify(e.x)} outside the ${height}x${width} map`,
          );
        }
      }
    }
  }
  return value as unknown as PatchIndex;
}
