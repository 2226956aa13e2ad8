/**
 * File-system errors in words: each code a person can act on becomes a ConvscopeError that
 * names the file and the way out, other errors pass through unchanged; `makeFolder` and the
 * atomic writer report real failures (a file or folder in the way, /sys and /proc, which refuse
 * writes even to root) that way and leave no temporary file behind. Read-only and full disks
 * cannot be made here, so EROFS and ENOSPC are checked on the errors Node would throw.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvscopeError } from '../core/errors.js';
import { writeBytesAtomic, writeFileAtomic } from './atomic-write.js';
import { CACHE_REMEDY, makeFolder, writeError } from './fs-errors.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-fs-errors-'));
  await writeFile(path.join(dir, 'a-file'), 'x');
  await mkdir(path.join(dir, 'a-folder'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function errno(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ..., ${syscall} '${file}'`), {
    code,
    syscall,
    path: file,
  });
}

/** The ConvscopeError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<ConvscopeError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConvscopeError);
  return error as ConvscopeError;
}

describe('writeError', () => {
  it('says "read-only file system" for EROFS and names the target, not the temporary file', () => {
    const error = writeError(errno('EROFS', 'open', 'out.png.12.34.tmp'), 'out.png');
    expect(error).toBeInstanceOf(ConvscopeError);
    expect((error as ConvscopeError).message).toBe('cannot write out.png: read-only file system');
    expect((error as ConvscopeError).hint).toBe('choose another --out');
  });

  it('names the folder it could not create, and the remedy it is given', () => {
    const error = writeError(errno('EACCES', 'mkdir', '/cache/downloads'), '/cache', CACHE_REMEDY);
    expect((error as ConvscopeError).message).toBe(
      'cannot create the folder /cache/downloads: permission denied',
    );
    expect((error as ConvscopeError).hint).toMatch(/CONVSCOPE_CACHE/);
  });

  it('suggests freeing space on a full disk', () => {
    const error = writeError(errno('ENOSPC', 'write', 'grid.png.tmp'), 'grid.png');
    expect((error as ConvscopeError).message).toMatch(/no space left/);
    expect((error as ConvscopeError).hint).toMatch(/free some space/);
  });

  it('passes other errors through unchanged', () => {
    const bug = new TypeError('x is undefined');
    expect(writeError(bug, 'out.png')).toBe(bug);
    const io = errno('EIO', 'write', 'out.png');
    expect(writeError(io, 'out.png')).toBe(io);
  });
});

describe('makeFolder', () => {
  it('creates nested folders and accepts ones that exist', async () => {
    const nested = path.join(dir, 'x', 'y', 'z');
    await makeFolder(nested);
    await makeFolder(nested);
    expect((await stat(nested)).isDirectory()).toBe(true);
  });

  it('refuses a file in the way with one line in words', async () => {
    const error = await failure(makeFolder(path.join(dir, 'a-file')));
    expect(error.message).toBe(
      `cannot create the folder ${path.join(dir, 'a-file')}: a file with that name is in the way`,
    );
    const below = await failure(makeFolder(path.join(dir, 'a-file', 'sub')));
    expect(below.message).toMatch(/a-file.*(in the way|not a folder)/);
  });

  it.skipIf(!existsSync('/sys/kernel'))('reports /sys refusing a folder', async () => {
    const error = await failure(makeFolder('/sys/convscope-test/out'));
    expect(error.message).toMatch(/^cannot create the folder \/sys\/convscope-test: /);
    expect(error.message).toMatch(/not permitted|permission denied|read-only/);
  });

  // Node's own recursive mkdir loops forever here (mkdir answers ENOENT, the parent exists).
  it.skipIf(!existsSync('/proc/self'))(
    'answers at once where the file system refuses with ENOENT (/proc)',
    async () => {
      const started = Date.now();
      const error = await failure(makeFolder('/proc/convscope-test/out'));
      expect(error.message).toBe(
        'cannot create the folder /proc/convscope-test: the file system does not allow creating it there',
      );
      expect(Date.now() - started).toBeLessThan(2000);
    },
    5000,
  );
});

describe('writeBytesAtomic', () => {
  it('refuses a folder where the file should go and leaves no temporary file', async () => {
    const target = path.join(dir, 'a-folder');
    const error = await failure(writeBytesAtomic(target, 'data'));
    expect(error.message).toBe(`cannot write ${target}: it is a folder`);
    expect(error.hint).toMatch(/name a file/);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(!existsSync('/sys/kernel'))('refuses /sys with the target in the message', async () => {
    const error = await failure(writeBytesAtomic('/sys/convscope-test.png', 'data'));
    expect(error.message).toMatch(/^cannot write \/sys\/convscope-test\.png: /);
    expect(error.hint).toBe('choose another --out');
  });

  it('passes a missing source file through (not a write failure)', async () => {
    const missing = path.join(dir, 'no-such-source');
    const error = await writeFileAtomic(path.join(dir, 'copy'), (temporary) =>
      copyFile(missing, temporary),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(ConvscopeError);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
