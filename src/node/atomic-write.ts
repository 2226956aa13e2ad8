/**
 * Atomic file output: write to a temporary sibling, then rename over the target, so a reader
 * (or a later run trusting a cache) never sees a half-written file; the temporary file is
 * removed if writing fails. File-system failures (a read-only disk, a folder where the file
 * should go, ...) come out as one ConvscopeError in words (fs-errors.ts).
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isFsError, makeFolder, OUT_REMEDY, writeError } from './fs-errors.js';

export interface AtomicWriteOptions {
  /** What the user can do when the file cannot be written (default: choose another --out). */
  remedy?: string;
}

/**
 * Calls `write(temporary)` and renames the result to `file`, creating parent folders.
 * @example await writeFileAtomic('out.png', (tmp) => sharp(buf).png().toFile(tmp))
 * @throws ConvscopeError when the file system refuses (read-only, no space, a folder in the way).
 */
export async function writeFileAtomic(
  file: string,
  write: (temporary: string) => Promise<unknown>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const remedy = options.remedy ?? OUT_REMEDY;
  await makeFolder(path.dirname(path.resolve(file)), remedy);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await write(temporary);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    // Only failures on our own paths are ours to explain (a missing source file is not).
    const fsPath = isFsError(error) ? error.path : undefined;
    throw fsPath === undefined || fsPath === temporary || fsPath === file
      ? writeError(error, file, remedy)
      : error;
  }
}

/** Writes bytes or text atomically. */
export function writeBytesAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  return writeFileAtomic(file, (temporary) => writeFile(temporary, data), options);
}
