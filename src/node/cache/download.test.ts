/**
 * Verified downloads against a local server: resume after a cut connection (Range), restart
 * when the server ignores Range, and rejections (wrong size, wrong hash, 404, refused
 * connection, cut every time) that name the URL and leave nothing in the cache directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFileServer, type FileServer } from '../../../test/helpers/file-server.js';
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

function get(mode: string, expect = EXPECT) {
  const dest = path.join(dir, 'sub', 'weights.h5');
  return {
    dest,
    run: () =>
      downloadFile({
        url: `${server.url}/${mode}/w/weights.h5`,
        dest,
        expect,
        progress: false,
        fallbackHint: 'run `convscope models add FILE --as test`',
      }),
  };
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

  it('gives up on a connection cut every time, leaving nothing', async () => {
    const { run } = get('cut-always');
    await expect(run()).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/cut-always\/w\/weights\.h5: connection lost .*nothing was cached/,
    );
    expect(await filesIn(dir)).toEqual([]);
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
    expect(error.message).toBe(`cannot download ${url}: ECONNREFUSED`);
    expect(error.hint).toMatch(/CONVSCOPE_MIRROR.*use models add/);
    expect(await filesIn(dir)).toEqual([]);
  });
});
