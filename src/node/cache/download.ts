/**
 * One verified download into the cache. Bytes stream into `FILE.part` (see
 * partial-download.ts) with connect and idle timeouts (http-get.ts); a cut connection is
 * resumed with an HTTP Range request (or restarted from zero when the server answers with the
 * whole file), and only when the size (and the hash, when known) checks out is the file
 * renamed into place. A timeout, a connection cut too often or an interrupt (Ctrl-C) keeps the
 * bytes so far for the next run to resume, and says so; a file that fails verification is
 * removed. A later run never finds a partial file where it expects a whole one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import type { ZooFile } from '../../core/models/zoo.js';
import { CACHE_REMEDY, makeFolder } from '../fs-errors.js';
import { httpGet, NetworkError, timeoutSeconds, type HttpResponse } from '../http-get.js';
import { PartialDownload } from './partial-download.js';
import { formatBytes, startProgress, type ProgressSink } from './progress.js';

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
  /** Attempts after a cut connection (default 3); a timeout is not retried. */
  retries?: number;
  /** Connect and idle timeout in milliseconds (default: CONVSCOPE_TIMEOUT seconds, 30). */
  timeoutMs?: number;
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

function unreachable(
  url: string,
  why: string,
  fallbackHint: string,
  timedOut = false,
): ConvscopeError {
  const wait = timedOut ? ', or wait longer with CONVSCOPE_TIMEOUT=SECONDS' : '';
  return new ConvscopeError(
    `cannot download ${url}: ${why}`,
    `check the network, or set CONVSCOPE_MIRROR to a mirror that holds the file${wait}, or ${fallbackHint}`,
  );
}

/** What a failure leaves behind, for its message (nothing to say when nothing came). */
function keptNote(partial: PartialDownload): string {
  if (partial.received === 0) return '';
  return partial.keepable
    ? `; kept ${formatBytes(partial.received)} in ${partial.part} to resume next time`
    : '; nothing was cached';
}

/** Start offset of a 206 response (`Content-Range: bytes START-END/TOTAL`). */
function rangeStart(response: HttpResponse): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.header('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Until removed, Ctrl-C (or SIGTERM) keeps the bytes so far, says so and exits 130 (143). */
function onInterrupt(partial: PartialDownload, label: string, stopBar: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    stopBar();
    const kept = partial.finishSync();
    process.stderr.write(
      kept > 0
        ? `\nconvscope: interrupted; kept ${formatBytes(kept)} of ${label} in ${partial.part} to resume next time\n`
        : `\nconvscope: interrupted; nothing of ${label} was kept\n`,
    );
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Downloads `url` to `dest`, verified, with resume. Throws a ConvscopeError naming the URL
 * and the way out (`CONVSCOPE_MIRROR`, `fallbackHint`) when it cannot.
 * @example await downloadFile({ url, dest, expect: { bytes: 58_889_256 } });
 */
export async function downloadFile(options: DownloadOptions): Promise<void> {
  const { url, dest, expect, retries = 3 } = options;
  const fallbackHint = options.fallbackHint ?? 'download the file by hand';
  const timeoutMs = options.timeoutMs ?? timeoutSeconds() * 1000;
  const label = path.basename(dest);
  await makeFolder(path.dirname(dest), CACHE_REMEDY);
  const partial = await PartialDownload.open(dest, url, expect);
  if (options.progress !== false) {
    if (partial.discarded) {
      process.stderr.write(`removed a partial download of ${label}: ${partial.discarded}\n`);
    }
    if (partial.resumedFrom > 0) {
      process.stderr.write(`resuming ${label} from ${formatBytes(partial.resumedFrom)}\n`);
    }
  }
  let bar: ProgressSink | null = null;
  const stopListening = onInterrupt(partial, label, () => bar?.stop());
  let keep = false;
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      // A kept part that is already whole (interrupted while it was checked) needs no request.
      if (expect?.bytes !== undefined && partial.received === expect.bytes) break;
      let response: HttpResponse;
      try {
        const headers: Record<string, string> = {};
        if (partial.received > 0) {
          headers.range = `bytes=${partial.received}-`;
          if (partial.validator) headers['if-range'] = partial.validator;
        }
        response = await httpGet(url, { headers, timeoutMs });
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        if (attempt < retries && partial.received > 0 && !error.timedOut) continue;
        keep = true;
        throw unreachable(url, error.reason + keptNote(partial), fallbackHint, error.timedOut);
      }
      if (response.status === 416 && partial.received > 0 && attempt < retries) {
        // Our range starts past the server's file: start over.
        response.cancel();
        await partial.restart();
        continue;
      }
      if (response.status !== 200 && response.status !== 206) {
        response.cancel();
        keep = true;
        const status = `HTTP ${response.status} ${response.statusText}`.trim();
        throw unreachable(
          url,
          partial.keepable ? status + keptNote(partial) : status,
          fallbackHint,
        );
      }
      // Resume only when the server continues exactly where we stopped; otherwise start over.
      if (response.status !== 206 || rangeStart(response) !== partial.received) {
        await partial.restart(
          response.header('etag') ?? response.header('last-modified') ?? undefined,
        );
      }
      const length = Number(response.header('content-length') ?? NaN);
      const total =
        expect?.bytes ?? (Number.isFinite(length) ? partial.received + length : undefined);
      if (options.progress !== false && !bar) bar = startProgress(label, total);
      let cut: NetworkError | null = null;
      try {
        for await (const chunk of response.body) {
          await partial.append(chunk);
          bar?.update(partial.received);
          // Already longer than the file we want: stop here, verification will reject it.
          if (expect?.bytes !== undefined && partial.received > expect.bytes) break;
        }
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        cut = error;
      }
      if (!cut) break;
      if (cut.timedOut || attempt >= retries) {
        keep = true;
        const why = cut.timedOut
          ? `${cut.reason} after ${formatBytes(partial.received)}`
          : `connection lost (${cut.reason}) after ${partial.received} bytes, ${attempt + 1} attempts`;
        throw unreachable(url, why + keptNote(partial), fallbackHint, cut.timedOut);
      }
    }
    bar?.stop();
    bar = null;
    await partial.close();
    await verifyFile(
      partial.part,
      expect,
      `the download of ${url}`,
      `the server or mirror holds another file; try again, check CONVSCOPE_MIRROR, or ${fallbackHint}`,
    );
    await rename(partial.part, dest);
    await partial.done();
  } finally {
    stopListening();
    bar?.stop();
    await partial.finish(keep);
  }
}
