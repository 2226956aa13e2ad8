/**
 * One verified download into the cache. Bytes stream into a temporary sibling of the target;
 * a cut connection is resumed with an HTTP Range request (or restarted from zero when the
 * server answers with the whole file), and only when the size (and the hash, when known)
 * checks out is the file renamed into place. Whatever fails, the temporary file is removed,
 * so a later run never finds a partial file where it expects a whole one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import type { ZooFile } from '../../core/models/zoo.js';
import { startProgress, type ProgressSink } from './progress.js';

export interface DownloadOptions {
  url: string;
  /** Final path; it appears only once the file is complete and verified. */
  dest: string;
  /** Expected size and hash (a zoo file record). */
  expect?: Pick<ZooFile, 'bytes' | 'hash'>;
  /** What to tell the user when the download is impossible (e.g. the `models add` command). */
  fallbackHint?: string;
  /** Show a progress bar on stderr (default true). */
  progress?: boolean;
  /** Attempts after a cut connection (default 3). */
  retries?: number;
}

/** Hex digest of a file. */
export async function hashFile(file: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks a complete file against the expected size and hash; throws naming both. */
export async function verifyFile(
  file: string,
  expect: DownloadOptions['expect'],
  what: string,
  hint: string,
): Promise<void> {
  const { size } = await stat(file);
  if (expect?.bytes !== undefined && size !== expect.bytes) {
    throw new ConvscopeError(
      `${what} is ${size} bytes but should be ${expect.bytes}; nothing was cached`,
      hint,
    );
  }
  if (expect?.hash) {
    const actual = await hashFile(file, expect.hash.algorithm);
    if (actual !== expect.hash.value.toLowerCase()) {
      throw new ConvscopeError(
        `${what} has ${expect.hash.algorithm} ${actual} but should have ${expect.hash.value}; nothing was cached`,
        hint,
      );
    }
  }
}

function unreachable(url: string, why: string, fallbackHint: string): ConvscopeError {
  return new ConvscopeError(
    `cannot download ${url}: ${why}`,
    `check the network, or set CONVSCOPE_MIRROR to a mirror that holds the file, or ${fallbackHint}`,
  );
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Start offset of a 206 response (`Content-Range: bytes START-END/TOTAL`). */
function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Downloads `url` to `dest`, verified, with resume. Throws a ConvscopeError naming the URL
 * and the way out (`CONVSCOPE_MIRROR`, `fallbackHint`) when it cannot.
 * @example await downloadFile({ url, dest, expect: { bytes: 58_889_256 } });
 */
export async function downloadFile(options: DownloadOptions): Promise<void> {
  const { url, dest, expect, retries = 3 } = options;
  const fallbackHint = options.fallbackHint ?? 'download the file by hand';
  await mkdir(path.dirname(dest), { recursive: true });
  const temporary = `${dest}.${process.pid}.${Date.now()}.part`;
  let received = 0;
  let bar: ProgressSink | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      let response: Response;
      try {
        const headers: Record<string, string> = received > 0 ? { range: `bytes=${received}-` } : {};
        response = await fetch(url, { headers });
      } catch (error) {
        if (attempt < retries && received > 0) continue;
        throw unreachable(url, causeOf(error), fallbackHint);
      }
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel();
        throw unreachable(
          url,
          `HTTP ${response.status} ${response.statusText}`.trim(),
          fallbackHint,
        );
      }
      // Resume only when the server continues exactly where we stopped; otherwise start over.
      if (response.status !== 206 || rangeStart(response) !== received) received = 0;
      const length = Number(response.headers.get('content-length') ?? NaN);
      const total = expect?.bytes ?? (Number.isFinite(length) ? received + length : undefined);
      if (options.progress !== false && !bar) bar = startProgress(path.basename(dest), total);
      const handle = await open(temporary, received === 0 ? 'w' : 'a');
      let cut: unknown = null;
      try {
        for await (const chunk of response.body ?? []) {
          await handle.write(chunk as Uint8Array);
          received += (chunk as Uint8Array).byteLength;
          bar?.update(received);
          // Already longer than the file we want: stop here, verification will reject it.
          if (expect?.bytes !== undefined && received > expect.bytes) break;
        }
      } catch (error) {
        cut = error;
      } finally {
        await handle.close();
      }
      if (!cut) break;
      if (attempt >= retries) {
        const why = `connection lost (${causeOf(cut)}) after ${received} bytes`;
        throw unreachable(url, `${why}, ${attempt + 1} attempts; nothing was cached`, fallbackHint);
      }
    }
    bar?.stop();
    bar = null;
    await verifyFile(
      temporary,
      expect,
      `the download of ${url}`,
      `the server or mirror holds another file; try again, check CONVSCOPE_MIRROR, or ${fallbackHint}`,
    );
    await rename(temporary, dest);
  } finally {
    bar?.stop();
    await rm(temporary, { force: true });
  }
}
