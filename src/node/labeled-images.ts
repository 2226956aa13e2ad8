/**
 * Labeled image sets for evaluation, in the three layouts people have: a folder with
 * `index.json` (`[{ "file": "...", "label": 3 | "Coat" }]`, as in samples/fashion-mnist), a
 * folder with `index.csv` (`file,label` rows), or one sub-folder per class named after the
 * class (the ImageFolder layout). Labels may be class indices or class names; names are
 * resolved against the model's labels.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError, listForMessage } from '../core/errors.js';
import { IMAGE_EXTENSIONS } from './images.js';

export interface LabeledImage {
  file: string;
  label: number;
}

const LAYOUT_HINT =
  'give a folder with index.json ([{"file", "label"}]), index.csv (file,label) or one sub-folder per class';

function resolveLabel(raw: unknown, labels: readonly string[] | undefined, where: string): number {
  const classes = labels?.length;
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw.trim()))) {
    const index = Number(raw);
    if (classes === undefined || index < classes) return index;
    throw new ConvscopeError(`${where}: class index ${index} out of range (0-${classes - 1})`);
  }
  const name = String(raw).trim().toLowerCase();
  const index = labels?.findIndex((l) => l.toLowerCase() === name) ?? -1;
  if (index >= 0) return index;
  throw new ConvscopeError(
    `${where}: unknown class '${String(raw)}'`,
    labels
      ? `classes are: ${listForMessage(labels)}`
      : 'this model has no class names; use indices',
  );
}

function parseCsv(text: string): { file: string; label: string }[] {
  const rows = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const cells = rows.map((row) => row.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
  const start = cells.length > 0 && cells[0][0].toLowerCase() === 'file' ? 1 : 0;
  return cells.slice(start).map(([file, label]) => ({ file, label }));
}

async function readIndex(dir: string): Promise<{ file: string; label: unknown }[] | null> {
  const json = await readFile(path.join(dir, 'index.json'), 'utf8').catch(() => null);
  if (json !== null) {
    let entries: unknown;
    try {
      entries = JSON.parse(json);
    } catch (error) {
      throw new ConvscopeError(`${dir}/index.json is not JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(entries)) throw new ConvscopeError(`${dir}/index.json must be an array`);
    return entries.map((e: { file?: unknown; label?: unknown; name?: unknown }, i) => {
      if (typeof e?.file !== 'string' || (e.label === undefined && e.name === undefined)) {
        throw new ConvscopeError(`${dir}/index.json entry ${i} needs "file" and "label"`);
      }
      return { file: e.file, label: e.label ?? e.name };
    });
  }
  const csv = await readFile(path.join(dir, 'index.csv'), 'utf8').catch(() => null);
  return csv === null ? null : parseCsv(csv);
}

/**
 * Lists the labeled images under `dir`.
 * @example await readLabeledImages('samples/fashion-mnist', model.labels)
 */
export async function readLabeledImages(
  dir: string,
  labels?: readonly string[],
): Promise<LabeledImage[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new ConvscopeError(`not a folder: ${dir}`, LAYOUT_HINT);
  const index = await readIndex(dir);
  if (index) {
    return index.map((e, i) => ({
      file: path.join(dir, e.file),
      label: resolveLabel(e.label, labels, `${dir} index entry ${i} (${e.file})`),
    }));
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const classDirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (classDirs.length === 0) throw new ConvscopeError(`no labels found in ${dir}`, LAYOUT_HINT);
  const images: LabeledImage[] = [];
  for (const name of classDirs.sort()) {
    const label = resolveLabel(name, labels, `${dir}/${name}`);
    const files = (await readdir(path.join(dir, name))).filter((f) =>
      IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()),
    );
    images.push(...files.sort().map((f) => ({ file: path.join(dir, name, f), label })));
  }
  return images;
}
