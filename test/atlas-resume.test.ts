/**
 * An atlas build killed with SIGKILL mid-run resumes: the rerun finishes every unit, and each
 * unit that was done at the kill keeps its image (same file, same mtime) and its one recorded
 * optimization run; only the batch in flight is run again.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AtlasManifest } from '../src/node/atlas/plan.js';
import { cli } from './helpers/cli.js';
import { kill, startCli } from './helpers/queue-cluster.js';

let dir: string | undefined;

const args = (out: string) => [
  'atlas',
  '--layers',
  'block1_conv1,block2_conv1',
  '--steps',
  '8',
  '--batch',
  '4',
  '--workers',
  '1',
  '--engine',
  'tfjs',
  '--out',
  out,
];

async function readAtlas(out: string): Promise<AtlasManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(out, 'atlas.json'), 'utf8')) as AtlasManifest;
  } catch {
    return undefined;
  }
}

describe('atlas resume', () => {
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('after kill -9, reruns only the batch in flight', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-atlas-resume-'));
    const site = path.join(dir, 'site');
    const first = startCli(...args(site));
    // Kill once some units are done and others are not (12 batches of 4 units).
    let atKill: AtlasManifest | undefined;
    for (let i = 0; i < 1200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const atlas = await readAtlas(site);
      const done = atlas?.units.filter((u) => u.image).length ?? 0;
      if (done >= 8) {
        await kill(first.child, 'SIGKILL');
        atKill = await readAtlas(site);
        break;
      }
    }
    expect(atKill, first.stderr()).toBeDefined();
    const done = atKill!.units.filter((u) => u.image);
    expect(done.length).toBeLessThan(48);
    const mtimes = new Map<string, number>();
    for (const u of done) mtimes.set(u.image!, (await stat(path.join(site, u.image!))).mtimeMs);

    const rerun = await cli(...args(site));
    expect(rerun.stderr).not.toMatch(/convscope: /);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(
      new RegExp(`${done.length} done before, ${48 - done.length} to build`),
    );
    const after = (await readAtlas(site))!;
    expect(after.units.every((u) => u.image && u.kernel)).toBe(true);
    for (const u of after.units) {
      const wasDone = done.some((d) => d.layer === u.layer && d.index === u.index);
      // Finished units ran once; the batch in flight at the kill twice; the rest once.
      expect(u.attempts, `${u.layer}/${u.index}`).toBeLessThanOrEqual(wasDone ? 1 : 2);
    }
    const twice = after.units.filter((u) => u.attempts === 2).length;
    expect(twice).toBeLessThanOrEqual(4);
    for (const [file, mtime] of mtimes) {
      expect((await stat(path.join(site, file))).mtimeMs, file).toBe(mtime);
    }
  }, 180_000);
});
