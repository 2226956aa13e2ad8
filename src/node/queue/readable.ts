/**
 * What a worker checks before it scans a shard: that every image is there and is an image it
 * can read. Workers read images by path, so they need the submitter's files at the same paths
 * (a shared file system); a missing file, a folder, a file it may not read or one whose header
 * is not an image fails the shard with a reason naming the file, within a time limit (a stuck
 * network mount gives a reason, not a hang). A local scan skips such files; on a queue they
 * usually mean a worker that does not see the data, which skipping would hide.
 */
import { open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import sharp from 'sharp';
import { ConvscopeError } from '../../core/errors.js';
import { MAX_IMAGE_PIXELS } from '../images.js';

const CODES: Record<string, string> = {
  ENOENT: 'no such file on this worker',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ELOOP: 'too many symbolic links',
  ENOTDIR: 'a part of the path is not a folder',
};

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Why `file` is not a readable image here, or null when it is. */
async function problem(file: string): Promise<string | null> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return 'it is a folder';
    if (!info.isFile()) return 'it is not a regular file';
    const handle = await open(file, 'r');
    await handle.close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return CODES[code] ?? (error as Error).message;
  }
  try {
    const meta = await sharp(file, { limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
    if (!meta.width || !meta.height) return 'its header gives no size';
  } catch (error) {
    return `not an image: ${(error as Error).message}`;
  }
  return null;
}

/**
 * Throws a ConvscopeError naming the first file that is not a readable image on this machine.
 *
 * @example await checkReadable(['/data/a.png', '/data/b.png']);
 */
export async function checkReadable(files: string[], timeoutMs = 20_000): Promise<void> {
  const reasons = await Promise.all(
    files.map((file) =>
      withTimeout(problem(file), timeoutMs, 'reading it').catch((e: Error) => e.message),
    ),
  );
  const bad = files.flatMap((file, i) => (reasons[i] ? [`${file} (${reasons[i]})`] : []));
  if (bad.length === 0) return;
  const more = bad.length > 1 ? ` and ${bad.length - 1} more` : '';
  throw new ConvscopeError(
    `image ${bad[0]}${more} is not readable on worker ${hostname()}`,
    'workers read images by path: give them the same files at the same paths (a shared file system), and replace damaged ones',
  );
}
