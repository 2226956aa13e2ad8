/**
 * Bad networks and damaged caches through the built CLI, offline, against local servers on
 * 127.0.0.1 (see helpers/file-server.ts) with CONVSCOPE_TIMEOUT=1: a model URL whose server
 * never answers, stalls after the headers or refuses the connection; a mirror that sends one
 * byte and stalls; Ctrl-C during a download; a truncated or altered shard of a converted
 * model; leftovers of killed runs. Each asserts the one-line message, the exit code, and that
 * nothing partial is left where it would be trusted (kept parts are resumed by the next run).
 */
import * as tf from '@tensorflow/tfjs';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { startFileServer, type FileServer } from './helpers/file-server.js';
import { writeKerasH5 } from './helpers/keras-h5.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/convscope.js');
const TINY = { size: 32, classes: 10, widthDivisor: 16 };
const WEIGHTS = 'tiny/tiny_vgg16_weights_tf_dim_ordering_tf_kernels.h5';
const H5_NAME = path.basename(WEIGHTS);

let dir: string;
let server: FileServer;
let h5Bytes: Buffer;
let image: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<Result> {
  const start = Date.now();
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], {
      env: { ...process.env, CONVSCOPE_ZOO: path.join(dir, 'zoo.json'), ...env },
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr, ms: Date.now() - start };
  } catch (error) {
    const e = error as Result;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: Date.now() - start };
  }
}

interface Env extends Record<string, string> {
  CONVSCOPE_CACHE: string;
  CONVSCOPE_MIRROR: string;
  CONVSCOPE_TIMEOUT: string;
}

async function freshEnv(mode: string): Promise<Env> {
  const cache = await mkdtemp(path.join(dir, 'cache-'));
  return {
    CONVSCOPE_CACHE: cache,
    CONVSCOPE_MIRROR: `${server.url}/${mode}`,
    CONVSCOPE_TIMEOUT: '1',
  };
}

async function filesIn(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

function h5Requests(): (string | undefined)[] {
  return server.requests.filter((r) => r.path.endsWith('.h5')).map((r) => r.range);
}

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-net-'));
  const source = buildVgg('vgg16', { ...TINY, seed: 5 });
  const h5File = path.join(dir, 'tiny.h5');
  await writeKerasH5(source, h5File, { legacyNames: true });
  source.dispose();
  h5Bytes = await readFile(h5File);
  image = path.join(dir, 'img.png');
  await sharp({ create: { width: 32, height: 32, channels: 3, background: '#a0522d' } })
    .png()
    .toFile(image);
  const sha256 = createHash('sha256').update(h5Bytes).digest('hex');
  const zoo = [
    {
      name: 'tiny-vgg16',
      description: 'test vgg16',
      architecture: { family: 'vgg16', includeTop: true, ...TINY },
      preprocess: 'caffe',
      weights: {
        base: 'https://convscope.invalid/',
        path: WEIGHTS,
        bytes: h5Bytes.byteLength,
        hash: { algorithm: 'sha256', value: sha256 },
      },
    },
  ];
  await writeFile(path.join(dir, 'zoo.json'), JSON.stringify(zoo));
  const embedded = path.resolve('models/embedded');
  server = await startFileServer({
    [WEIGHTS]: h5Bytes,
    'm/model.json': await readFile(path.join(embedded, 'model.json')),
    'm/weights.bin': await readFile(path.join(embedded, 'weights.bin')),
  });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('network timeouts', () => {
  it('--model URL: a server that never answers, stalls after the headers, or refuses', async () => {
    const env = await freshEnv('ok');
    const closed = await startFileServer({});
    await closed.close();
    const cases: [string, RegExp][] = [
      [`${server.url}/hang/m/model.json`, /: no response within 1 s \(.*CONVSCOPE_TIMEOUT/],
      [`${server.url}/headers-only/m/model.json`, /: stalled: no data for 1 s \(/],
      [`${closed.url}/ok/m/model.json`, /: connection refused \(/],
    ];
    for (const [url, message] of cases) {
      const result = await cli(env, 'layers', '--model', url);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`convscope: cannot download ${url}`);
      expect(result.stderr).toMatch(message);
      expect(result.ms).toBeLessThan(20_000);
      console.log(`layers --model ${url}: exit 1 after ${result.ms} ms`);
    }
    const ok = await cli(env, 'layers', '--model', `${server.url}/ok/m/model.json`, '--json');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a mirror that sends one byte and stalls: exit 1, the byte kept as a part, resumed next time', async () => {
    const env = await freshEnv('one-byte');
    const result = await cli(env, 'models', 'fetch', 'tiny-vgg16', '--quiet');
    console.log(`models fetch on a one-byte mirror: exit ${result.code} after ${result.ms} ms`);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `cannot download ${server.url}/one-byte/${WEIGHTS}: stalled: no data for 1 s after 1 B; kept 1 B in .*${H5_NAME}\\.part to resume next time`,
      ),
    );
    expect(await filesIn(env.CONVSCOPE_CACHE)).toEqual([`${H5_NAME}.part`, `${H5_NAME}.part.json`]);
    const listed = JSON.parse((await cli(env, 'models', 'list', '--json')).stdout) as {
      name: string;
      cached: boolean;
    }[];
    expect(listed.find((m) => m.name === 'tiny-vgg16')?.cached).toBe(false);

    server.requests.length = 0;
    const resumed = await cli(
      { ...env, CONVSCOPE_MIRROR: `${server.url}/ok` },
      'models',
      'fetch',
      'tiny-vgg16',
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming ${H5_NAME} from 1 B`);
    expect(h5Requests()).toEqual(['bytes=1-']);
    expect(await readFile(path.join(env.CONVSCOPE_CACHE, 'downloads', WEIGHTS))).toEqual(h5Bytes);
    expect((await filesIn(env.CONVSCOPE_CACHE)).filter((f) => f.includes('.part'))).toEqual([]);
  });

  it('Ctrl-C during a download says what was kept, exits 130, and the next run resumes', async () => {
    const env = { ...(await freshEnv('stall-half')), CONVSCOPE_TIMEOUT: '60' };
    const part = path.join(env.CONVSCOPE_CACHE, 'downloads', `${WEIGHTS}.part`);
    const half = Math.floor(h5Bytes.byteLength / 2);
    const child = spawn('node', [BIN, 'models', 'fetch', 'tiny-vgg16'], {
      env: { ...process.env, CONVSCOPE_ZOO: path.join(dir, 'zoo.json'), ...env },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (((await stat(part).catch(() => null))?.size ?? 0) < half && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(
      new RegExp(
        `convscope: interrupted; kept [\\d.]+ kB of ${H5_NAME} in ${part} to resume next time`,
      ),
    );
    const checkpoint = JSON.parse(await readFile(`${part}.json`, 'utf8')) as { received: number };
    expect(checkpoint.received).toBe(half);
    expect(await filesIn(path.join(env.CONVSCOPE_CACHE, 'models'))).toEqual([]);

    server.requests.length = 0;
    const resumed = await cli(
      { ...env, CONVSCOPE_MIRROR: `${server.url}/ok` },
      'models',
      'fetch',
      'tiny-vgg16',
      '--quiet',
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(h5Requests()).toEqual([`bytes=${half}-`]);
  });
});

describe('damaged caches', () => {
  it('a truncated or altered shard is found, reconverted from the verified download; --force fetches afresh', async () => {
    const env = await freshEnv('ok');
    const fetched = await cli(env, 'models', 'fetch', 'tiny-vgg16', '--quiet');
    expect(fetched.code, fetched.stderr).toBe(0);
    const predict = ['predict', '--model', 'tiny-vgg16', '--top', '3', '--json', '--image', image];
    const before = await cli(env, ...predict);
    expect(before.code, before.stderr).toBe(0);
    const shard = path.join(env.CONVSCOPE_CACHE, 'models', 'tiny-vgg16', 'group1-shard1of1.bin');
    const size = (await stat(shard)).size;

    await truncate(shard, 1000);
    const listed = JSON.parse((await cli(env, 'models', 'list', '--json')).stdout) as {
      name: string;
      cached: boolean;
      problem?: string;
    }[];
    expect(listed.find((m) => m.name === 'tiny-vgg16')).toMatchObject({
      cached: true, // the verified download is there: it converts again offline
      problem: `group1-shard1of1.bin is 1000 bytes but should be ${size}`,
    });
    server.requests.length = 0;
    const repaired = await cli(env, 'models', 'fetch', 'tiny-vgg16');
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stderr).toMatch(
      /the converted tiny-vgg16 in .* is damaged \(group1-shard1of1\.bin is 1000 bytes but should be \d+\); converting it again/,
    );
    expect(h5Requests()).toEqual([]); // from the cached download, no network
    expect((await stat(shard)).size).toBe(size);
    expect((await cli(env, ...predict)).stdout).toBe(before.stdout);

    // Same size, other bytes: `models fetch` checks hashes and converts again.
    const bytes = await readFile(shard);
    bytes[10] ^= 0xff;
    await writeFile(shard, bytes);
    const rehashed = await cli(env, 'models', 'fetch', 'tiny-vgg16');
    expect(rehashed.code, rehashed.stderr).toBe(0);
    expect(rehashed.stderr).toMatch(
      /group1-shard1of1\.bin does not have the SHA-256 recorded at conversion/,
    );
    expect((await cli(env, ...predict)).stdout).toBe(before.stdout);

    // Truncated download and shard, no network: not cached, and a clear error on use.
    await truncate(shard, 1000);
    await truncate(path.join(env.CONVSCOPE_CACHE, 'downloads', WEIGHTS), 1000);
    const closed = await startFileServer({});
    await closed.close();
    const offline = { ...env, CONVSCOPE_MIRROR: closed.url };
    const text = await cli(offline, 'models', 'list');
    expect(text.stdout).toMatch(/tiny-vgg16\s+damaged/);
    const failed = await cli(offline, ...predict);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`cannot download ${closed.url}/${WEIGHTS}: connection refused`);
    expect(failed.stdout).toBe('');

    server.requests.length = 0;
    const forced = await cli(env, 'models', 'fetch', 'tiny-vgg16', '--force', '--quiet');
    expect(forced.code, forced.stderr).toBe(0);
    expect(h5Requests()).toEqual([undefined]); // downloaded afresh, from byte 0
    expect((await cli(env, ...predict)).stdout).toBe(before.stdout);
  });

  it('leftovers of killed runs (conversion folders, private parts) are swept on the next run', async () => {
    const env = await freshEnv('ok');
    const dead = Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
    const tmpModel = path.join(
      env.CONVSCOPE_CACHE,
      'models',
      `tiny-vgg16.${dead}.${Date.now()}.tmp`,
    );
    await mkdir(tmpModel, { recursive: true });
    await writeFile(path.join(tmpModel, 'group1-shard1of1.bin'), 'partial');
    const privatePart = path.join(env.CONVSCOPE_CACHE, 'downloads', `${WEIGHTS}.${dead}.1.part`);
    await mkdir(path.dirname(privatePart), { recursive: true });
    await writeFile(privatePart, 'partial');
    const result = await cli(env, 'models', 'fetch', 'tiny-vgg16');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('removed 2 leftover(s) of interrupted runs');
    expect(await filesIn(env.CONVSCOPE_CACHE)).toEqual(
      [H5_NAME, 'group1-shard1of1.bin', 'model.json'].sort(),
    );
  });
});
