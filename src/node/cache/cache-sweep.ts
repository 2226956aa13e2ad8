/**
 * Sweeps what killed runs leave in the cache. Temporary files and folders are named
 * `NAME.PID.TIME.tmp` or `NAME.PID.TIME.part` (a conversion's model folder, an atomic write,
 * a private download); one whose process is gone (or is this process but older than it, a
 * reused PID) is removed. Resumable `FILE.part` files are not touched here: the next download
 * of FILE checks and resumes or removes them (partial-download.ts). Runs once per process.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const TEMPORARY = /\.(\d+)\.(\d+)\.(tmp|part)$/;
const swept = new Set<string>();

/** True when `pid` (stamped into a name at `time`) can no longer be writing it. */
function stale(pid: number, time: number): boolean {
  if (pid === process.pid) return time < Date.now() - process.uptime() * 1000;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function sweepFolder(folder: string, depth: number, removed: string[]): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    const match = TEMPORARY.exec(entry.name);
    if (match && stale(Number(match[1]), Number(match[2]))) {
      await rm(full, { recursive: true, force: true });
      removed.push(full);
    } else if (entry.isDirectory() && depth > 0) {
      await sweepFolder(full, depth - 1, removed);
    }
  }
}

/**
 * Removes stale temporaries under `root`'s `downloads/` and `models/`; returns their paths.
 * @example await sweepCache(cacheDir(env));
 */
export async function sweepCache(root: string): Promise<string[]> {
  if (swept.has(root)) return [];
  swept.add(root);
  const removed: string[] = [];
  await sweepFolder(path.join(root, 'downloads'), 3, removed);
  await sweepFolder(path.join(root, 'models'), 1, removed);
  return removed;
}
