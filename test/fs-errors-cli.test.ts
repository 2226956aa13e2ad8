/**
 * File-system failures through the compiled CLI: a file where `filters --out` wants a folder, a
 * folder where `maps --out` wants a file, an output under /sys (which refuses writes even to
 * root, as a read-only disk would) and a `CONVSCOPE_CACHE` that cannot be created each end in
 * one line in words and exit code 1, not "unexpected error" (exit 2).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, type CliResult } from './helpers/cli.js';

const execFileAsync = promisify(execFile);

const IMAGE = path.resolve('samples/fashion-mnist/0741-bag.png');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-fs-cli-'));
  await writeFile(path.join(dir, 'a-file'), 'x');
  await mkdir(path.join(dir, 'a-folder.png'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `cli` with extra environment variables. */
async function cliWithEnv(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  try {
    const options = { env: { ...process.env, ...env }, timeout: 60_000 };
    const { stdout, stderr } = await execFileAsync('node', [BIN, ...args], options);
    return { code: 0, stdout, stderr };
  } catch (error) {
    return error as CliResult;
  }
}

/** Exit 1 and exactly one line on stderr, which is returned. */
function oneLineFailure(result: { code: number; stderr: string }): string {
  expect(result.code).toBe(1);
  expect(result.stderr).not.toMatch(/unexpected error/);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('file-system errors', () => {
  it('filters --out FILE: a file is in the way of the folder', async () => {
    const out = path.join(dir, 'a-file');
    const line = oneLineFailure(
      await cli(
        'filters',
        '--layer',
        'block1_conv1',
        '--filters',
        '0',
        '--steps',
        '1',
        '--out',
        out,
        '--quiet',
      ),
    );
    expect(line).toBe(
      `convscope: cannot create the folder ${out}: a file with that name is in the way (choose another --out)`,
    );
  });

  it('maps --out DIR: names the folder and asks for a file name', async () => {
    const out = path.join(dir, 'a-folder.png'); // a folder with a file's name
    const line = oneLineFailure(
      await cli('maps', '--image', IMAGE, '--layer', 'block1_conv1', '--out', out, '--quiet'),
    );
    expect(line).toBe(
      `convscope: cannot write ${out}: it is a folder (name a file, not a folder; choose another --out)`,
    );
    expect(await readdir(out)).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(!existsSync('/sys/kernel'))('maps --out under /sys: refused in words', async () => {
    const line = oneLineFailure(
      await cli(
        'maps',
        '--image',
        IMAGE,
        '--layer',
        'block1_conv1',
        '--out',
        '/sys/convscope.png',
        '--quiet',
      ),
    );
    expect(line).toMatch(
      /^convscope: cannot write \/sys\/convscope\.png: (permission denied|operation not permitted|read-only file system) \(choose another --out\)$/,
    );
  });

  it('CONVSCOPE_CACHE that cannot be created names the variable', async () => {
    const cache = path.join(dir, 'a-file', 'cache');
    const line = oneLineFailure(
      await cliWithEnv(
        { CONVSCOPE_CACHE: cache, CONVSCOPE_MIRROR: 'http://127.0.0.1:9' },
        'models',
        'fetch',
        'vgg16-notop',
        '--quiet',
      ),
    );
    expect(line).toMatch(
      /^convscope: cannot create the folder .*a-file.*: (part of the path is a file, not a folder|a file with that name is in the way)/,
    );
    expect(line).toMatch(/CONVSCOPE_CACHE/);
  });
});
