/**
 * `--batch`: items cut into batches run on the pool exactly as those batches would run alone
 * (shard s with seed + s), the manifest records the batch, and `auto` picks the fastest
 * candidate it measured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../src/core/optimize/presets.js';
import { initBackend } from '../src/node/backend.js';
import { chooseBatchSize } from '../src/node/batch-size.js';
import { openModel } from '../src/node/open-model.js';
import { cli } from './helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-batch-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Manifest {
  batch?: number;
  items: { index: number; activation: { final: number } }[];
}

async function filters(out: string, ...args: string[]): Promise<Manifest> {
  const result = await cli(
    'filters',
    '--layer',
    'block2_conv2',
    '--steps',
    '6',
    '--workers',
    '1',
    '--quiet',
    '--json',
    '--out',
    path.join(dir, out),
    ...args,
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Manifest;
}

describe('--batch', () => {
  it('runs each batch as it would run alone and records the batch size', async () => {
    const batched = await filters('batched', '--filters', '0-3', '--batch', '2');
    expect(batched.batch).toBe(2);
    const first = await filters('first', '--filters', '0-1');
    const second = await filters('second', '--filters', '2-3', '--seed', '1');
    expect(first.batch).toBeUndefined();
    const finals = (m: Manifest) => m.items.map((i) => i.activation.final);
    expect(finals(batched)).toEqual([...finals(first), ...finals(second)]);
  });

  it('refuses a batch that is not a positive integer', async () => {
    const result = await cli(
      'filters',
      '--filters',
      '0-1',
      '--batch',
      'zero',
      '--out',
      path.join(dir, 'bad'),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--batch must be a positive integer or auto, got 'zero'/);
  });

  it('auto measures the candidates up to the items at hand and picks the fastest', async () => {
    await initBackend('wasm');
    const model = await openModel({ model: 'embedded', quiet: true });
    const specs = [0, 1, 2].map((channel) => ({
      kind: 'channel' as const,
      layer: 'block1_conv1',
      channel,
    }));
    const choice = await chooseBatchSize(model, specs, getPreset('lucid').settings);
    expect(choice.measured.map((m) => m.batch)).toEqual([1, 2]);
    for (const m of choice.measured) expect(m.ms).toBeGreaterThan(0);
    const fastest = choice.measured.reduce((a, b) => (b.ms < a.ms ? b : a));
    expect(choice.batch).toBe(fastest.batch);
  });
});
