/**
 * Zoo models end to end through the built CLI, offline. A VGG16 with Keras' layer names and
 * graph (widths / 16, 32 px input, 10 classes) is written as a Keras HDF5 file in the test and
 * registered as a zoo entry (its own file name, size and hash) through CONVSCOPE_ZOO, so it
 * takes the very path `vgg16` takes: served from a local HTTP server via CONVSCOPE_MIRROR,
 * cached in a temporary CONVSCOPE_CACHE. Checks: `--model file.h5 --arch` outputs equal the
 * same arrays run in the test with caffe preprocessing (and differ from RGB order or no mean),
 * download with progress then cache hit, resume after a cut, rejected downloads leave nothing
 * (a download cut every time leaves only its resumable part), the no-network message,
 * `models add|list|path`, ImageNet-style labels.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { openModel } from '../src/node/open-model.js';
import { startFileServer, type FileServer } from './helpers/file-server.js';
import { writeKerasH5 } from './helpers/keras-h5.js';
import { randomArray } from './helpers/random.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/convscope.js');
const TINY = { size: 32, classes: 10, widthDivisor: 16 };
const NAMES = ['tench', 'goldfish', 'great_white_shark', 'tiger_shark', 'hammerhead'];
const WEIGHTS = 'tiny/tiny_vgg16_weights_tf_dim_ordering_tf_kernels.h5';
const LABELS = 'tiny/tiny_class_index.json';

let dir: string;
let server: FileServer;
let h5File: string;
let h5Bytes: Buffer;
let images: string[];
/** Reference probabilities per image: caffe (right), RGB order kept, no mean subtracted. */
const reference: Record<'caffe' | 'rgb' | 'noMean', number[][]> = {
  caffe: [],
  rgb: [],
  noMean: [],
};
let labels: string[];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], {
      env: { ...process.env, CONVSCOPE_ZOO: path.join(dir, 'zoo.json'), ...env },
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as Result;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A fresh cache and the mirror mode to serve it from. */
async function freshEnv(
  mode: string,
): Promise<{ CONVSCOPE_CACHE: string; CONVSCOPE_MIRROR: string }> {
  const cache = await mkdtemp(path.join(dir, 'cache-'));
  return { CONVSCOPE_CACHE: cache, CONVSCOPE_MIRROR: `${server.url}/${mode}` };
}

async function filesIn(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

function record(name: string, weights: object, family = 'vgg16') {
  const base = 'https://convscope.invalid/';
  return {
    name,
    description: `test ${family}`,
    architecture: { family, includeTop: true, ...TINY },
    preprocess: 'caffe',
    weights: { base, path: WEIGHTS, ...weights },
    labels: { base, path: LABELS },
  };
}

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-zoo-'));
  const source = buildVgg('vgg16', { ...TINY, seed: 5 });
  h5File = path.join(dir, 'tiny_vgg16.h5');
  await writeKerasH5(source, h5File, { legacyNames: true });
  h5Bytes = await readFile(h5File);
  await mkdir(path.join(dir, 'images'));
  images = [];
  for (let i = 0; i < 3; i++) {
    const pixels = Buffer.from(
      randomArray(32 * 32 * 3, 70 + i).map((v) => Math.round((v + 1) * 127.5)),
    );
    const file = path.join(dir, 'images', `img${i}.png`);
    await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(file);
    images.push(file);
    const rgb = tf.tensor4d(Float32Array.from(pixels), [1, 32, 32, 3]); // 0..255, RGB
    const means = tf.tensor1d([103.939, 116.779, 123.68]); // B, G, R
    const inputs = {
      caffe: tf.sub(tf.reverse(rgb, 3), means),
      rgb: tf.sub(rgb, means),
      noMean: tf.reverse(rgb, 3),
    };
    for (const [key, x] of Object.entries(inputs)) {
      reference[key as keyof typeof reference].push([
        ...(source.predict(x) as tf.Tensor).dataSync(),
      ]);
    }
  }
  // Name the first image's true top class `tabby`, as ImageNet's class 281 is called.
  const best = reference.caffe[0].indexOf(Math.max(...reference.caffe[0]));
  labels = Array.from({ length: 10 }, (_, i) => (i === best ? 'tabby' : NAMES[i % 5] + i));
  const index = Object.fromEntries(labels.map((l, i) => [String(i), [`n0000000${i}`, l]]));
  const labelsBytes = Buffer.from(JSON.stringify(index));
  await writeFile(path.join(dir, 'tiny_class_index.json'), labelsBytes);
  const sha256 = createHash('sha256').update(h5Bytes).digest('hex');
  const size = h5Bytes.byteLength;
  const zoo = [
    record('tiny-vgg16', { bytes: size, hash: { algorithm: 'sha256', value: sha256 } }),
    record('tiny-vgg19', { bytes: size }, 'vgg19'),
    record('tiny-bad-size', { bytes: size + 1 }),
    record('tiny-bad-hash', { bytes: size, hash: { algorithm: 'sha256', value: '0'.repeat(64) } }),
  ];
  await writeFile(path.join(dir, 'zoo.json'), JSON.stringify(zoo));
  server = await startFileServer({ [WEIGHTS]: h5Bytes, [LABELS]: labelsBytes });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

type Prediction = {
  image: string;
  top: { index: number; label: string | null; probability: number }[];
};

function probabilities(stdout: string): number[][] {
  return (JSON.parse(stdout) as Prediction[]).map((p) =>
    [...p.top].sort((a, b) => a.index - b.index).map((t) => t.probability),
  );
}

function maxDifference(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

describe('Keras .h5 files and zoo downloads', () => {
  it('--model FILE.h5 --arch gives the Keras arrays with caffe preprocessing, with label names', async () => {
    const env = await freshEnv('ok');
    const args = [
      'predict',
      '--model',
      h5File,
      '--arch',
      'tiny-vgg16',
      '--top',
      '10',
      '--image',
      ...images,
    ];
    const { code, stdout, stderr } = await cli(env, ...args, '--json');
    expect(code, stderr).toBe(0);
    const got = probabilities(stdout);
    expect(maxDifference(got, reference.caffe)).toBeLessThan(1e-5);
    // The check is sharp enough to catch the classic mistakes.
    expect(maxDifference(got, reference.rgb)).toBeGreaterThan(1e-3);
    expect(maxDifference(got, reference.noMean)).toBeGreaterThan(1e-3);
    const first = (JSON.parse(stdout) as Prediction[])[0].top[0];
    expect(first.label).toBe('tabby');
    expect((JSON.parse(stdout) as Prediction[])[1].top.map((t) => t.label)).toEqual(
      (JSON.parse(stdout) as Prediction[])[1].top.map((t) => labels[t.index]),
    );
    const text = await cli(
      env,
      'predict',
      '--model',
      h5File,
      '--arch',
      'tiny-vgg16',
      '--image',
      images[0],
    );
    expect(text.stdout).toMatch(/img0\.png: tabby \d+\.\d%/);
  });

  it('--class accepts the class names of a zoo model (openModel)', async () => {
    const env = {
      ...process.env,
      ...(await freshEnv('ok')),
      CONVSCOPE_ZOO: path.join(dir, 'zoo.json'),
    };
    const model = await openModel({ model: h5File, arch: 'tiny-vgg16', env, quiet: true });
    expect(model.input).toMatchObject({ height: 32, width: 32, preprocess: 'caffe' });
    const best = reference.caffe[0].indexOf(Math.max(...reference.caffe[0]));
    expect(model.classIndex('tabby')).toBe(best);
    expect(model.classIndex('Tabby')).toBe(best);
    expect(() => model.classIndex('tabbby')).toThrow(
      /unknown class 'tabbby'; classes are: .*tabby/,
    );
    model.dispose();
  });

  it('fetches a zoo model with progress, converts it, and reuses the cache on the next run', async () => {
    const env = await freshEnv('ok');
    server.requests.length = 0;
    const fetched = await cli(env, 'models', 'fetch', 'tiny-vgg16');
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toMatch(
      /tiny_vgg16_weights_tf_dim_ordering_tf_kernels\.h5 \[.*\] 100% \| .* \| .*\/s \| ETA/,
    );
    const modelDir = path.join(env.CONVSCOPE_CACHE, 'models', 'tiny-vgg16');
    expect(fetched.stdout.trim()).toBe(modelDir);
    expect((await filesIn(modelDir)).sort()).toEqual([
      'group1-shard1of1.bin',
      'labels.json',
      'model.json',
    ]);
    expect(
      await readFile(path.join(env.CONVSCOPE_CACHE, 'downloads', ...WEIGHTS.split('/'))),
    ).toEqual(h5Bytes);
    const requests = server.requests.length;
    expect(requests).toBe(2); // weights and labels, once each

    const predicted = await cli(
      env,
      'predict',
      '--model',
      'tiny-vgg16',
      '--top',
      '10',
      '--json',
      '--image',
      ...images,
    );
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(maxDifference(probabilities(predicted.stdout), reference.caffe)).toBeLessThan(1e-5);
    expect(server.requests.length).toBe(requests);
    expect(predicted.stderr).not.toMatch(/ETA|converting/);
  });

  it('first use of --model NAME downloads, resuming after a cut connection', async () => {
    const env = await freshEnv('cut-once');
    server.requests.length = 0;
    const { code, stdout, stderr } = await cli(
      env,
      'predict',
      '--model',
      'tiny-vgg16',
      '--top',
      '10',
      '--json',
      '--image',
      ...images,
    );
    expect(code, stderr).toBe(0);
    expect(maxDifference(probabilities(stdout), reference.caffe)).toBeLessThan(1e-5);
    expect(server.requests.filter((r) => r.path.endsWith('.h5')).map((r) => r.range)).toEqual([
      undefined,
      expect.stringMatching(/^bytes=\d+-$/),
    ]);
  });

  it('rejects a download of the wrong size or hash, or cut every time, and caches nothing', async () => {
    const cases: [string, string, RegExp, string[]][] = [
      ['ok', 'tiny-bad-size', /is \d+ bytes but should be \d+; nothing was cached/, []],
      [
        'ok',
        'tiny-bad-hash',
        /has sha256 [0-9a-f]{64} but should have 0{64}; nothing was cached/,
        [],
      ],
      // A cut download is kept (with a checkpoint) for the next run to resume, never used.
      [
        'cut-always',
        'tiny-vgg16',
        /connection lost .* 4 attempts; kept .* to resume next time/,
        [`${path.basename(WEIGHTS)}.part`, `${path.basename(WEIGHTS)}.part.json`],
      ],
    ];
    for (const [mode, name, message, kept] of cases) {
      const env = await freshEnv(mode);
      const { code, stderr } = await cli(env, 'models', 'fetch', name, '--quiet');
      expect(code, name).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect((await filesIn(env.CONVSCOPE_CACHE)).sort()).toEqual(kept);
    }
  });

  it('without network, says which URL failed and names CONVSCOPE_MIRROR and models add', async () => {
    const closed = await startFileServer({});
    await closed.close();
    const env = { ...(await freshEnv('ok')), CONVSCOPE_MIRROR: closed.url };
    const { code, stderr } = await cli(env, 'layers', '--model', 'tiny-vgg16');
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot download ${closed.url}/${WEIGHTS}: connection refused`);
    expect(stderr).toMatch(/CONVSCOPE_MIRROR/);
    expect(stderr).toContain('convscope models add FILE --as tiny-vgg16');
  });

  it('models add imports hand-downloaded files; list and path show them', async () => {
    const closed = await startFileServer({});
    await closed.close();
    const env = { ...(await freshEnv('ok')), CONVSCOPE_MIRROR: closed.url };
    const wrong = await cli(
      env,
      'models',
      'add',
      path.join(dir, 'tiny_class_index.json'),
      '--as',
      'tiny-vgg16',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /is \d+ bytes but should be \d+; nothing was cached \(is it tiny_vgg16_weights/,
    );
    expect(await filesIn(env.CONVSCOPE_CACHE)).toEqual([]);

    const added = await cli(env, 'models', 'add', h5File, '--as', 'tiny-vgg16', '--quiet');
    expect(added.code, added.stderr).toBe(0);
    const modelDir = path.join(env.CONVSCOPE_CACHE, 'models', 'tiny-vgg16');
    expect(added.stdout.trim()).toBe(modelDir);
    const pathOut = await cli(env, 'models', 'path', 'tiny-vgg16');
    expect(pathOut.stdout.trim()).toBe(modelDir);
    const listed = JSON.parse((await cli(env, 'models', 'list', '--json')).stdout) as {
      name: string;
      cached: boolean;
      bytes: number | null;
      path: string;
    }[];
    expect(listed.find((m) => m.name === 'tiny-vgg16')).toMatchObject({
      cached: true,
      bytes: h5Bytes.byteLength,
      path: modelDir,
    });
    expect(listed.find((m) => m.name === 'vgg16-notop')).toMatchObject({
      cached: false,
      bytes: 58_889_256,
    });

    // Offline: the model works, class names are missing until the labels are added too.
    const before = await cli(
      env,
      'predict',
      '--model',
      'tiny-vgg16',
      '--image',
      images[0],
      '--top',
      '1',
    );
    expect(before.code, before.stderr).toBe(0);
    expect(before.stderr).toMatch(
      /warning: no class names.*models add FILE --as tiny-vgg16-labels/,
    );
    expect(before.stdout).toMatch(/img0\.png: \d+ \d+\.\d%/);
    const labelsAdded = await cli(
      env,
      'models',
      'add',
      path.join(dir, 'tiny_class_index.json'),
      '--as',
      'tiny-vgg16-labels',
    );
    expect(labelsAdded.code, labelsAdded.stderr).toBe(0);
    const after = await cli(
      env,
      'predict',
      '--model',
      'tiny-vgg16',
      '--image',
      images[0],
      '--top',
      '1',
    );
    expect(after.stdout).toMatch(/img0\.png: tabby \d+\.\d%/);
    expect(after.stderr).toBe('');
  });

  it('explains .h5 mistakes by name', async () => {
    const env = await freshEnv('ok');
    await writeFile(path.join(dir, 'page.h5'), '<html>404</html>');
    const cases: [string[], RegExp][] = [
      [
        ['--model', h5File],
        /holds Keras weights only; name the architecture with --arch \(e\.g\. --arch vgg16-notop/,
      ],
      [
        ['--model', h5File, '--arch', 'tiny-vgg19'],
        /has no weights for layer 'block3_conv4' of vgg19.*is --arch tiny-vgg19 the right architecture/,
      ],
      [
        ['--model', h5File, '--arch', 'vgg16-notop'],
        /layer 'block1_conv1' weight 'block1_conv1_W_1:0' has shape \[3, 3, 3, 4\] but the model expects \[3, 3, 3, 64\]/,
      ],
      [
        ['--model', path.join(dir, 'absent.h5'), '--arch', 'tiny-vgg16'],
        /absent\.h5: no such file/,
      ],
      [
        ['--model', path.join(dir, 'page.h5'), '--arch', 'tiny-vgg16'],
        /page\.h5 is not an HDF5 file/,
      ],
      [
        ['--model', h5File, '--arch', 'vgg17'],
        /unknown zoo model 'vgg17'; the zoo has: vgg16, vgg16-notop/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(env, 'layers', ...args);
      expect(code, args.join(' ')).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/HDF5-DIAG|\n\s+at /);
    }
  });
});
