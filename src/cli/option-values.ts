/**
 * Option values checked before a command does any work: whole numbers, one of a fixed set of
 * words, worker counts (capped at the cores, with a note), and output files in a format
 * convscope writes. Every command validates with these, so a bad value is refused up front
 * with one line that names the flag and what it accepts, rather than blamed on something
 * later (an image that "cannot decode", a run that silently used another value).
 */
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { defaultPoolSize } from '../node/worker-pool.js';

/** Which whole numbers a flag takes. */
export type IntRange = 'positive' | 'non-negative' | 'any';

const RANGE_WORDS: Record<IntRange, string> = {
  positive: 'a positive integer',
  'non-negative': 'a non-negative integer',
  any: 'an integer',
};

/**
 * The one integer-flag parser: the flag's whole number in `range`, or undefined when the option
 * was not given; `alternative` names what else the flag takes (`auto`) in the error.
 *
 * @example intOption('3', '--history', 'non-negative') // 3
 */
export function intOption(
  value: string | number | undefined,
  flag: string,
  range: IntRange = 'positive',
  alternative?: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const low = range === 'positive' ? 1 : range === 'non-negative' ? 0 : -Infinity;
  if (String(value).trim() === '' || !Number.isInteger(n) || n < low) {
    const accepted = `${RANGE_WORDS[range]}${alternative ? ` or ${alternative}` : ''}`;
    throw new ConvscopeError(`${flag} must be ${accepted}, got '${value}'`);
  }
  return n;
}

/** A whole number of at least 1, or undefined when the option was not given. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  return intOption(value, flag, 'positive');
}

/**
 * `value` when it is one of `choices`; otherwise an error that lists them.
 *
 * @example choice(options.fit, FITS, '--fit') // 'cover'
 */
export function choice<T extends string>(value: string, choices: readonly T[], flag: string): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConvscopeError(`unknown ${flag} '${value}'`, `use one of: ${choices.join(', ')}`);
  }
  return value as T;
}

/** The `--fit` modes of images.ts. */
export const FITS = ['cover', 'fill', 'contain'] as const;

/**
 * `--workers N` capped at the cores: a worker per core already keeps every core busy, and
 * more only add start-up time and memory (64 workers on 2 cores: 67 s and 1.5 GB instead of
 * 1.2 s). Says so on stderr (unless `quiet`) when it caps.
 *
 * @example workerCount('64', { quiet: false }) // 2 on a 2-core machine, with a note
 */
export function workerCount(
  value: string,
  options: { quiet?: boolean; cores?: number; flag?: string } = {},
): number {
  const flag = options.flag ?? '--workers';
  const n = intOption(value, flag, 'positive', 'auto')!;
  const cores = options.cores ?? defaultPoolSize();
  if (n <= cores) return n;
  if (!options.quiet) {
    process.stderr.write(
      `note: ${flag} ${n} is more than the ${cores} cores; using ${cores} (one worker per core)\n`,
    );
  }
  return cores;
}

/**
 * An output file name that ends in `.png` (the only format the image commands write): `x.jpg`
 * would otherwise hold PNG bytes under a JPEG name.
 */
export function pngOut(file: string, flag = '--out'): string {
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.png') {
    const stem = extension ? file.slice(0, -extension.length) : file;
    throw new ConvscopeError(
      `${flag} ${file}: convscope writes PNG images only`,
      `name the file ${stem}.png (convert it afterwards if you need ${extension ? extension.slice(1).toUpperCase() : 'another format'})`,
    );
  }
  return file;
}
