/**
 * The parallel patch scan: on the embedded model and a subset of samples/fashion-mnist (plus
 * an undecodable file), 2 worker threads give exactly the index of the in-process scan, also
 * when the parallel scan is interrupted and resumed; the index records finished shards only.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisModel } from '../core/models/vis-model.js';
import { initBackend } from './backend.js';
import { isScanned, type PatchIndex } from './patches-index.js';
import { scanPatches, type ScanOptions } from './patches-scan.js';
import { openModel } from './open-model.js';

let dir: string;
let files: string[];
let model: VisModel;
const layers = ['block1_conv1', 'block2_conv1'];
const worker = { model: { model: 'embedded' }, backend: 'wasm' };

beforeAll(async () => {
  await initBackend('wasm');
  model = await openModel();
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-patches-workers-'));
  const samples = path.resolve('samples/fashion-mnist');
  const names = (await readdir(samples)).filter((n) => n.endsWith('.png')).sort();
  files = names.slice(0, 150).map((n) => path.join(samples, n));
  const broken = path.join(dir, 'broken.png');
  await writeFile(broken, 'not a png');
  files.splice(37, 0, broken);
});

afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

const scan = (options: Partial<ScanOptions>) =>
  scanPatches(model, files, layers, { k: 9, batch: 16, ...options });

describe('parallel patch scan', () => {
  it('2 workers equal the in-process scan exactly, undecodable file listed', async () => {
    const single = await scan({ workers: 1 });
    const parallel = await scan({ workers: 2, worker });
    expect(single.workers).toBe(1);
    expect(parallel.workers).toBe(2);
    // The broken file is counted apart: skipped, not scanned.
    expect(parallel.scannedNow).toBe(files.length - 1);
    expect(parallel.skippedNow).toBe(1);
    expect(parallel.index).toEqual(single.index);
    expect(parallel.index.skipped.map((s) => path.basename(s.file))).toEqual(['broken.png']);
    expect(parallel.index.skipped[0].error).toMatch(/cannot decode/);
    for (const name of layers) expect(parallel.index.layers[name].scanned).toBe(files.length);
  });

  it('auto stays in this thread for a short scan and starts workers for a long one', async () => {
    const single = await scan({ workers: 1 });
    const short = await scan({ workers: 'auto', worker });
    expect(short.workers).toBe(1);
    expect(short.index).toEqual(single.index);
    const long = await scan({ workers: 'auto', worker, autoSeconds: 0, workerStartSeconds: 0 });
    expect(long.workers).toBe(
      availableParallelism() > 1 ? Math.min(availableParallelism(), 10) : 1,
    );
    expect(long.index).toEqual(single.index);
  });

  it('auto counts the start of the workers: a scan shorter than starting them stays here', async () => {
    // Long enough to pass the floor (autoSeconds 0), but workers that take an hour to start
    // can never be faster than this thread.
    const slowStart = await scan({
      workers: 'auto',
      worker,
      autoSeconds: 0,
      workerStartSeconds: 3600,
    });
    expect(slowStart.workers).toBe(1);
    expect(slowStart.index).toEqual((await scan({ workers: 1 })).index);
  });

  it('reports shards that fail twice and keeps going', async () => {
    const broken = { model: { model: path.join(dir, 'no-model') }, backend: 'wasm' };
    await expect(scan({ workers: 2, worker: broken })).rejects.toThrow(
      /10 of 10 scan shards failed twice: .*no-model/,
    );
  });

  it('resumes an interrupted parallel scan without rescanning finished shards', async () => {
    const indexFile = path.join(dir, 'index.json');
    let stoppedAt = 0;
    const interrupt = (done: number) => {
      if (done < 64) return;
      stoppedAt = done;
      throw new Error('interrupted');
    };
    await expect(
      scan({ workers: 2, worker, indexFile, saveEvery: 0, onProgress: interrupt }),
    ).rejects.toThrow('interrupted');
    // The saved index covers exactly the shards merged before the stop (maybe out of order).
    const saved = JSON.parse(await readFile(indexFile, 'utf8')) as PatchIndex;
    for (const name of layers) {
      const covered = files.filter((_, i) => isScanned(saved.layers[name], i)).length;
      expect(covered).toBe(stoppedAt);
    }
    const resumed = await scan({ workers: 2, worker, indexFile });
    expect(resumed.scannedNow).toBe(files.length - stoppedAt);
    const single = await scan({ workers: 1 });
    expect(resumed.index.layers).toEqual(single.index.layers);
    expect(resumed.index.skipped).toEqual(single.index.skipped);
    expect((await scan({ workers: 2, worker, indexFile })).scannedNow).toBe(0);
  });
});
