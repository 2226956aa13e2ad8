/**
 * Verified downloads against a local server: resume after a cut connection (Range), restart
 * when the server ignores Range, and rejections (wrong size, wrong hash, 404, refused
 * connection) that name the URL and leave nothing in the cache directory; servers that never
 * answer, stall after the headers or after one byte time out with a message that says which;
 * what a cut or a stall received is kept as FILE.part (+ checkpoint) and resumed by the next
 * run only when its bytes still check out, else thrown away.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFileServer, type FileServer } from '../../../test/helpers/file-server.js';
import { timeoutSeconds } from '../http-get.js';
import { downloadFile } from './download.js';

const BODY = new Uint8Array(randomBytes(300_000));
const MD5 = createHash('md5').update(BODY).digest('hex');
const EXPECT = { bytes: BODY.byteLength, hash: { algorithm: 'md5' as const, value: MD5 } };
let server: FileServer;
let dir: string;

beforeAll(async () => {
  server = await startFileServer({ 'w/weights.h5': BODY });
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-dl-'));
  server.requests.length = 0;
  return () => rm(dir, { recursive: true, force: true });
});

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<Error & { hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { hint?: string };
  }
  throw new Error('expected the download to fail');
}

async function filesIn(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

function get(mode: string, expect: typeof EXPECT | { bytes: number } = EXPECT, timeoutMs = 30_000) {
  const dest = path.join(dir, 'sub', 'weights.h5');
  return {
    dest,
    run: () =>
      downloadFile({
        url: `${server.url}/${mode}/w/weights.h5`,
        dest,
        expect,
        progress: false,
        timeoutMs,
        fallbackHint: 'run `convscope models add FILE --as test`',
      }),
  };
}

/** Milliseconds a promise takes to settle. */
async function timed(promise: Promise<unknown>): Promise<number> {
  const start = Date.now();
  await promise.catch(() => undefined);
  return Date.now() - start;
}

describe('downloadFile', () => {
  it('downloads and verifies a file', async () => {
    const { dest, run } = get('ok');
    await run();
    expect(new Uint8Array(await readFile(dest))).toEqual(BODY);
    expect(await filesIn(dir)).toEqual(['weights.h5']);
  });

  it('resumes with a Range request after a cut connection', async () => {
    const { dest, run } = get('cut-once');
    await run();
    expect(new Uint8Array(await readFile(dest))).toEqual(BODY);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(BODY.byteLength);
  });

  it('restarts from zero when the server ignores Range', async () => {
    const { dest, run } = get('cut-norange');
    await run();
    expect(new Uint8Array(await readFile(dest))).toEqual(BODY);
    expect(server.requests[1].range).toMatch(/^bytes=\d+-$/);
    expect(await filesIn(dir)).toEqual(['weights.h5']);
  });

  it('gives up on a connection cut every time, keeping the bytes, and resumes them next time', async () => {
    const { dest, run } = get('cut-always');
    await expect(run()).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/cut-always\/w\/weights\.h5: connection lost \(connection .*\) after 150000 bytes, 4 attempts; kept 150\.0 kB in .*weights\.h5\.part to resume next time/,
    );
    expect((await filesIn(dir)).sort()).toEqual(['weights.h5.part', 'weights.h5.part.json']);
    server.requests.length = 0;
    await get('ok').run();
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=150000-']);
    expect(new Uint8Array(await readFile(dest))).toEqual(BODY);
    expect(await filesIn(dir)).toEqual(['weights.h5']);
  });

  it('keeps nothing of a cut download whose hash is unknown (it could not be trusted later)', async () => {
    const { run } = get('cut-always', { bytes: BODY.byteLength });
    await expect(run()).rejects.toThrow(/4 attempts; nothing was cached/);
    expect(await filesIn(dir)).toEqual([]);
  });

  it('throws away a kept part whose bytes changed, or that has no checkpoint, and starts over', async () => {
    await expect(get('stall-half', EXPECT, 300).run()).rejects.toThrow(
      /stalled: no data for 0\.3 s after 150\.0 kB; kept 150\.0 kB/,
    );
    const part = path.join(dir, 'sub', 'weights.h5.part');
    const bytes = await readFile(part);
    bytes[1000] ^= 0xff;
    await writeFile(part, bytes);
    server.requests.length = 0;
    const { dest, run } = get('ok');
    await run();
    expect(server.requests.map((r) => r.range)).toEqual([undefined]);
    expect(new Uint8Array(await readFile(dest))).toEqual(BODY);

    // A part without its checkpoint (e.g. from an older version) is not resumed either.
    await rm(dest);
    await writeFile(part, BODY.subarray(0, 1000));
    server.requests.length = 0;
    await run();
    expect(server.requests.map((r) => r.range)).toEqual([undefined]);
    expect(await filesIn(dir)).toEqual(['weights.h5']);
  });

  it('times out on a server that never answers, naming the URL, leaving nothing', async () => {
    const { run } = get('hang', EXPECT, 500);
    const error = await failure(run());
    expect(error.message).toMatch(
      /^cannot download http:\/\/127\.0\.0\.1:\d+\/hang\/w\/weights\.h5: no response within 0\.5 s$/,
    );
    expect(error.hint).toMatch(/CONVSCOPE_TIMEOUT=SECONDS/);
    expect(await filesIn(dir)).toEqual([]);
    expect(await timed(run())).toBeLessThan(3000);
  });

  it('times out on a server that sends headers then stalls, leaving nothing', async () => {
    const { run } = get('headers-only', EXPECT, 500);
    await expect(run()).rejects.toThrow(
      /\/headers-only\/w\/weights\.h5: stalled: no data for 0\.5 s after 0 B$/,
    );
    expect(await filesIn(dir)).toEqual([]);
    expect(await timed(run())).toBeLessThan(3000);
  });

  it('times out on a server that sends one byte then stalls, keeping that byte for later', async () => {
    const { run } = get('one-byte', EXPECT, 500);
    await expect(run()).rejects.toThrow(
      /\/one-byte\/w\/weights\.h5: stalled: no data for 0\.5 s after 1 B; kept 1 B in .*weights\.h5\.part to resume next time$/,
    );
    expect((await filesIn(dir)).sort()).toEqual(['weights.h5.part', 'weights.h5.part.json']);
    expect(await timed(run())).toBeLessThan(3000);
  });

  it('reads CONVSCOPE_TIMEOUT in seconds (default 30) and rejects nonsense', () => {
    expect(timeoutSeconds({})).toBe(30);
    expect(timeoutSeconds({ CONVSCOPE_TIMEOUT: '1.5' })).toBe(1.5);
    for (const bad of ['0', '-2', 'soon']) {
      expect(() => timeoutSeconds({ CONVSCOPE_TIMEOUT: bad })).toThrow(
        `CONVSCOPE_TIMEOUT must be a positive number of seconds, not '${bad}'`,
      );
    }
  });

  it('rejects a file of the wrong size, leaving nothing', async () => {
    const { run } = get('ok', { ...EXPECT, bytes: BODY.byteLength - 1 });
    await expect(run()).rejects.toThrow(/is 300000 bytes but should be 299999; nothing was cached/);
    expect(await filesIn(dir)).toEqual([]);
  });

  it('rejects a file with the wrong hash, leaving nothing', async () => {
    const { run } = get('ok', { ...EXPECT, hash: { algorithm: 'md5', value: '0'.repeat(32) } });
    const error = await failure(run());
    expect(error.message).toMatch(
      `has md5 ${MD5} but should have ${'0'.repeat(32)}; nothing was cached`,
    );
    expect(error.hint).toMatch(/CONVSCOPE_MIRROR.*models add FILE --as test/);
    expect(await filesIn(dir)).toEqual([]);
  });

  it('reports a 404 with the URL and the ways out', async () => {
    const { run } = get('missing');
    const error = await failure(run());
    expect(error.message).toMatch(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/missing\/w\/weights\.h5: HTTP 404/,
    );
    expect(error.hint).toMatch(/CONVSCOPE_MIRROR/);
    expect(error.hint).toMatch(/convscope models add FILE --as test/);
    expect(await filesIn(dir)).toEqual([]);
  });

  it('reports an unreachable host (no network) with the URL and the ways out', async () => {
    const closed = await startFileServer({});
    const url = `${closed.url}/ok/w/weights.h5`;
    await closed.close();
    const dest = path.join(dir, 'weights.h5');
    const error = await failure(
      downloadFile({ url, dest, progress: false, fallbackHint: 'use models add' }),
    );
    expect(error.message).toBe(`cannot download ${url}: connection refused`);
    expect(error.hint).toMatch(/CONVSCOPE_MIRROR.*use models add/);
    expect(await filesIn(dir)).toEqual([]);
  });
});
