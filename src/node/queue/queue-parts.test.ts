/**
 * The queue's parts that need no Redis: results through PNGs give back the very bytes a local
 * run writes, job data is checked field by field, run ids follow the inputs, URLs keep their
 * credentials out of messages, and a worker's image check names what is wrong.
 */
import { mkdtemp, mkdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageStats } from '../../core/evaluation/image-stats.js';
import { rgbaFromFloats } from '../../core/image/rgba.js';
import { checkRedisUrl, redactUrl } from './connection.js';
import { checkJob, maximizeShardName, runId, shardJobId } from './jobs.js';
import { checkReadable } from './readable.js';
import { workerModelOptions } from './runners.js';
import { decodeMaximizeResult, encodeMaximizeResult } from './wire.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-queue-parts-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const result = (data: Float32Array, shape: [number, number, number, number]) => ({
  best: { data, shape },
  initial: [0.5, 1],
  final: [1.5, 2],
  bestScores: [1.5, 2.25],
  bestSteps: [3, 4],
  history: [{ step: 4, images: { data, shape }, scores: [0.25, 1 / 3] }],
  steps: 4,
  aborted: false,
  seconds: 0.1,
});

describe('results as PNGs and numbers', () => {
  it('give back the bytes a local run draws, for gray, RGB and RGBA, out-of-range values too', async () => {
    for (const c of [1, 3, 4]) {
      const shape: [number, number, number, number] = [2, 5, 4, c];
      const data = Float32Array.from({ length: 2 * 5 * 4 * c }, (_, i) => ((i * 0.37) % 1.4) - 0.2);
      const wire = JSON.parse(JSON.stringify(await encodeMaximizeResult(result(data, shape))));
      const back = await decodeMaximizeResult(wire);
      const bytes = (d: Float32Array) => Buffer.from(rgbaFromFloats(d, 4, 10, c).data);
      expect(bytes(back.best.data).equals(bytes(data))).toBe(true);
      expect(bytes(back.history[0].images.data).equals(bytes(data))).toBe(true);
      expect(back.bestScores).toEqual([1.5, 2.25]);
      expect(back.history[0].scores).toEqual([0.25, 1 / 3]);
      expect(back.best.shape).toEqual(shape);
      // Measured on the floats, not on the PNG bytes.
      const first = data.subarray(0, 5 * 4 * c);
      expect(back.itemStats![0]).toEqual(imageStats(first, 5, 4, c));
    }
  });

  it('refuse a result holding NaN', async () => {
    const shape: [number, number, number, number] = [1, 2, 2, 1];
    const bad = { ...result(new Float32Array(4), shape), bestScores: [Number.NaN] };
    await expect(encodeMaximizeResult(bad)).rejects.toThrow(
      /diverged: best score of item 0 is NaN/,
    );
  });
});

describe('job data', () => {
  const setup = { model: { model: 'embedded' }, backend: 'wasm', size: 28, engine: 'tfjs' };
  const task = {
    specs: [{ kind: 'channel', layer: 'block1_conv1', channel: 0 }],
    settings: { steps: 8 },
    seed: 0,
    history: 0,
  };
  const job = { run: 'filters-x', shard: 0, name: 'block1_conv1 channels 0', setup, task };

  it('passes what convscope submits', () => {
    expect(() => checkJob('maximize', job)).not.toThrow();
    const scan = { start: 0, files: ['/data/a.png'], layers: [{ name: 'b', k: 9 }], fit: 'cover' };
    expect(() => checkJob('scan', { ...job, task: scan })).not.toThrow();
  });

  it('passes every objective kind, nested, and refuses a bad one by its path', () => {
    const composite = {
      kind: 'sum',
      terms: [
        { kind: 'deepdream', layer: 'b' },
        { kind: 'scale', factor: -1e-3, objective: { kind: 'total-variation' } },
        { kind: 'negate', objective: { kind: 'neuron', layer: 'b', channel: 1, y: 0, x: 2 } },
      ],
    };
    expect(() =>
      checkJob('maximize', { ...job, task: { ...task, specs: [composite] } }),
    ).not.toThrow();
    const bad = { ...composite, terms: [...composite.terms, { kind: 'lp', p: 'two' }] };
    expect(() => checkJob('maximize', { ...job, task: { ...task, specs: [bad] } })).toThrow(
      /refused job: task\.specs\[0\]\.terms\[3\]\.p must be a finite number/,
    );
    expect(maximizeShardName({ ...task, specs: [composite, composite] } as never)).toBe(
      'objectives 0-1',
    );
  });

  it("reads a job queued before channels were named `channel` (as `index`) in today's form", () => {
    const old = { kind: 'scale', factor: 2, objective: { kind: 'channel', layer: 'b', index: 3 } };
    const data = { ...job, task: { ...task, specs: [old] } };
    checkJob('maximize', data);
    expect(data.task.specs).toEqual([
      { kind: 'scale', factor: 2, objective: { kind: 'channel', layer: 'b', channel: 3 } },
    ]);
  });

  it('refuses anything else, naming the field', () => {
    const cases: [string, unknown, RegExp][] = [
      [
        'run',
        { ...job, task: { ...task, specs: [{ kind: 'eval', index: 0 }] } },
        /specs\[0\]\.kind/,
      ],
      ['maximize', { ...job, setup: { ...setup, backend: 'webgl' } }, /setup\.backend/],
      ['maximize', { ...job, setup: { ...setup, model: { env: { HOME: '/' } } } }, /model\.env/],
      ['maximize', { ...job, task: { ...task, seed: 1.5 } }, /task\.seed/],
      ['maximize', { ...job, task: { ...task, settings: { steps: 0 } } }, /settings\.steps/],
      [
        'scan',
        { ...job, task: { start: 0, files: ['rel.png'], layers: [], fit: 'cover' } },
        /files\[0\] is not absolute/,
      ],
      ['shell', job, /'shell' is not a convscope job/],
    ];
    for (const [name, data, pattern] of cases) {
      const kind = name === 'run' ? 'maximize' : name;
      expect(() => checkJob(kind, data), String(pattern)).toThrow(pattern);
    }
  });

  it('names shards by their items and ids by the inputs', () => {
    expect(
      maximizeShardName({
        ...task,
        specs: [0, 1, 2, 3].map((channel) => ({ kind: 'channel', layer: 'b2', channel })),
      } as never),
    ).toBe('b2 channels 0-3');
    expect(runId('filters', { a: 1 })).toBe(runId('filters', { a: 1 }));
    expect(runId('filters', { a: 1 })).not.toBe(runId('filters', { a: 2 }));
    expect(runId('patches', {})).toMatch(/^patches-[0-9a-f]{16}$/);
    expect(shardJobId('r', '0-32-block1_conv1.9')).toBe('r-0-32-block1_conv1.9');
    expect(shardJobId('r', 'a:b/c')).toBe('r-a_b_c');
  });
});

describe('Redis URLs', () => {
  it('pass credentials and TLS through, and keep the password out of messages', () => {
    expect(checkRedisUrl('rediss://user:pw@host:6380/2')).toBe('rediss://user:pw@host:6380/2');
    expect(redactUrl('redis://:s3cret@127.0.0.1:6379/1')).toBe('redis://:***@127.0.0.1:6379/1');
    expect(() => checkRedisUrl('http://host')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => checkRedisUrl('not a url')).toThrow(/takes a Redis URL/);
  });

  it("give workers absolute model paths and never the submitter's environment", () => {
    const options = workerModelOptions({ model: 'models/embedded', env: { A: '1' }, quiet: true });
    expect(options).toEqual({ model: path.resolve('models/embedded') });
    expect(workerModelOptions({ model: 'vgg16', weights: 'none' })).toEqual({
      model: 'vgg16',
      weights: 'none',
    });
  });
});

describe("a worker's image check", () => {
  it('names a missing file, a folder and a file that is not an image', async () => {
    const good = path.join(dir, 'good.png');
    await copyFile(path.resolve('samples/fashion-mnist/0000-ankle-boot.png'), good);
    await expect(checkReadable([good])).resolves.toBeUndefined();
    await expect(checkReadable([good, path.join(dir, 'gone.png')])).rejects.toThrow(
      /gone\.png \(no such file on this worker\) is not readable on worker/,
    );
    await mkdir(path.join(dir, 'folder.png'));
    await expect(checkReadable([path.join(dir, 'folder.png')])).rejects.toThrow(/it is a folder/);
    await writeFile(path.join(dir, 'text.png'), 'hello');
    await expect(checkReadable([path.join(dir, 'text.png')])).rejects.toThrow(/not an image: /);
  });
});
