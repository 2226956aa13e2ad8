/**
 * `atlas --queue`: the optimization batches and the patch scan run on `convscope worker`
 * processes (a real redis-server, test/helpers/queue-cluster.ts), and the site holds the same
 * pictures and numbers as a local build with the same shard layout (two shards per batch).
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AtlasManifest } from '../src/node/atlas/plan.js';
import { cli } from './helpers/cli.js';
import { hasRedis, redisRequired, startCluster, type Cluster } from './helpers/queue-cluster.js';

let dir: string;
let images: string;
let cluster: Cluster;

const build = (out: string, ...extra: string[]) =>
  cli(
    'atlas',
    '--layers',
    'block1_conv2',
    '--images',
    images,
    '--steps',
    '8',
    '--workers',
    '2',
    '--engine',
    'tfjs',
    '--out',
    out,
    ...extra,
  );

/** The unit and patch PNGs of a site, relative, sorted. */
async function pictures(site: string): Promise<string[]> {
  const entries = await readdir(site, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.png'))
    .map((e) => path.relative(site, path.join(e.parentPath, e.name)))
    .sort();
}

describe.skipIf(!hasRedis() && !redisRequired)('atlas --queue', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-atlas-queue-'));
    images = path.join(dir, 'images');
    await mkdir(images);
    const samples = (await readdir('samples/fashion-mnist')).filter((f) => f.endsWith('.png'));
    for (const name of samples.slice(0, 12)) {
      await copyFile(path.join('samples/fashion-mnist', name), path.join(images, name));
    }
    cluster = await startCluster(2);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the same site on queue workers as here', async () => {
    const local = path.join(dir, 'local');
    const queued = path.join(dir, 'queued');
    const [here, there] = await Promise.all([build(local), build(queued, '--queue', cluster.url)]);
    expect(here.stderr).not.toMatch(/convscope: /);
    expect(there.stderr).not.toMatch(/convscope: /);
    expect([here.code, there.code]).toEqual([0, 0]);
    // The workers ran the optimization shards and the scan's.
    expect(cluster.logs()).toMatch(/^job filters-\S+ \(block1_conv2 channels 0-7\) done in/m);
    expect(cluster.logs()).toMatch(/^job filters-\S+ \(block1_conv2 channels 8-15\) done in/m);
    expect(cluster.logs()).toMatch(/^job patches-\S+ \(images 0-11 .*\) done in/m);
    const names = await pictures(local);
    expect(names.length).toBeGreaterThan(16 * 19);
    expect(await pictures(queued)).toEqual(names);
    for (const name of names.filter((n) => !/^patches\/[^/]+\.png$/.test(n))) {
      const same = (await readFile(path.join(local, name))).equals(
        await readFile(path.join(queued, name)),
      );
      expect(same, `${name} differs`).toBe(true);
    }
    const stats = async (site: string) =>
      (
        JSON.parse(await readFile(path.join(site, 'atlas.json'), 'utf8')) as AtlasManifest
      ).units.map((u) => [u.index, u.stats, u.patches?.map((p) => p.file)]);
    expect(await stats(queued)).toEqual(await stats(local));
  }, 240_000);
});
