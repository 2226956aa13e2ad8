/**
 * Atomic file output: write to a temporary sibling, then rename over the target, so a reader
 * (or a later run trusting a cache) never sees a half-written file; the temporary file is
 * removed if writing fails.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Calls `write(temporary)` and renames the result to `file`, creating parent folders.
 * @example await writeFileAtomic('out.png', (tmp) => sharp(buf).png().toFile(tmp))
 */
export async function writeFileAtomic(
  file: string,
  write: (temporary: string) => Promise<unknown>,
): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await write(temporary);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Writes bytes or text atomically. */
export function writeBytesAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(file, (temporary) => writeFile(temporary, data));
}
