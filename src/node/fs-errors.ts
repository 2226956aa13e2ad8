/**
 * File-system failures in words. Node reports a failed write as `EROFS: read-only file system,
 * open 'out.png.123.tmp'`; `writeError` turns the codes a person can do something about
 * (EACCES, EPERM, EROFS, ENOSPC, EDQUOT, EEXIST, EISDIR, ENOTDIR, ENOENT, ENAMETOOLONG) into a
 * ConvscopeError that names the file the user asked for and the way out ("choose another
 * --out", "set CONVSCOPE_CACHE ..."), so the CLI prints one line and exits 1 instead of
 * calling it a bug. `makeFolder` is `mkdir -p` with the same errors; it does not use Node's
 * recursive mkdir, which loops forever where mkdir answers ENOENT for an existing parent
 * (under /proc).
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';

/** The way out for files the user named with `--out` (the default remedy). */
export const OUT_REMEDY = 'choose another --out';

/** The way out for the model cache. */
export const CACHE_REMEDY = 'set CONVSCOPE_CACHE to a folder you can write to';

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'a file with that name is in the way',
  EISDIR: 'it is a folder',
  ENOTDIR: 'part of the path is a file, not a folder',
  ENOENT: 'the file system does not allow creating it there',
  ENAMETOOLONG: 'the name is too long',
};

/** Extra advice for codes where the remedy alone is not enough. */
const ADVICE: Readonly<Record<string, string>> = {
  EISDIR: 'name a file, not a folder',
  ENOSPC: 'or free some space',
  EDQUOT: 'or free some space',
};

/** True for an error from a Node fs call (it carries an errno code such as 'ENOENT'). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}

/**
 * A ConvscopeError for a failed write of `target`; errors that are not fs errors with one of
 * the codes above are returned unchanged (they are bugs, or already in words).
 *
 * @example
 * await writeFile(tmp, bytes).catch((e) => { throw writeError(e, 'grid.png'); });
 * // convscope: cannot write grid.png: read-only file system (choose another --out)
 */
export function writeError(error: unknown, target: string, remedy = OUT_REMEDY): unknown {
  if (!isFsError(error) || !error.code || !(error.code in REASONS)) return error;
  const reason = REASONS[error.code];
  const what =
    error.syscall === 'mkdir' && error.path
      ? `cannot create the folder ${error.path}`
      : `cannot write ${target}`;
  const advice = ADVICE[error.code];
  const hint = advice
    ? advice.startsWith('or ')
      ? `${remedy}, ${advice}`
      : `${advice}; ${remedy}`
    : remedy;
  return new ConvscopeError(`${what}: ${reason}`, hint, { cause: error });
}

/**
 * Creates `dir` and its missing parents (like `mkdir -p`), throwing `writeError`s.
 * @example await makeFolder('out/filters', OUT_REMEDY);
 */
export async function makeFolder(dir: string, remedy = OUT_REMEDY): Promise<void> {
  try {
    await createFolder(path.resolve(dir));
  } catch (error) {
    throw writeError(error, dir, remedy);
  }
}

async function createFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw error;
    }
    const parent = path.dirname(dir);
    // ENOENT with a parent that exists is the file system refusing, not a missing parent.
    if (code !== 'ENOENT' || parent === dir || (await exists(parent))) throw error;
    await createFolder(parent);
  }
  try {
    await mkdir(dir);
  } catch (error) {
    // Someone else made it in between.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir)).isDirectory()) {
      throw error;
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
