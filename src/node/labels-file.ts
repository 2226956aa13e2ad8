/**
 * Class names from a file: `--labels FILE`, or the `labels.json` beside a model. One reader with
 * one rule for both: a JSON array of names, or a text file with one name per line; a file that
 * cannot be read or parsed is an error that names it (a missing labels.json beside a model is
 * not: classes then show as numbers).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';

/**
 * @example await readLabelsFile('imagenet-classes.txt') // ['tench', 'goldfish', ...]
 */
export async function readLabelsFile(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ConvscopeError(
      `cannot read labels ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
    );
  });
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConvscopeError(
        `labels ${file} is not valid JSON: ${(error as Error).message}`,
        'give a JSON array of names, or one name per line',
      );
    }
    if (!Array.isArray(parsed)) throw new ConvscopeError(`labels ${file} is not a JSON array`);
    return parsed.map(String);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The `labels.json` in `dir`, or undefined when there is none. */
export async function labelsBeside(dir: string): Promise<string[] | undefined> {
  const file = path.join(dir, 'labels.json');
  return existsSync(file) ? readLabelsFile(file) : undefined;
}
