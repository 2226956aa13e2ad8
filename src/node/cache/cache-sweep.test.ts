/**
 * The sweep of leftovers from killed runs: temporaries named after a process that is gone (a
 * conversion folder, a private download, an atomic write) are removed; those of a live process,
 * resumable `FILE.part` files and ordinary files stay; a second sweep in the same process does
 * nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepCache } from './cache-sweep.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'convscope-sweep-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The PID of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

describe('sweepCache', () => {
  it('removes temporaries of dead processes only', async () => {
    const dead = deadPid();
    const now = Date.now();
    const downloads = path.join(root, 'downloads', 'vgg16');
    const models = path.join(root, 'models');
    await mkdir(downloads, { recursive: true });
    await mkdir(path.join(models, `vgg16.${dead}.${now}.tmp`), { recursive: true });
    await writeFile(path.join(models, `vgg16.${dead}.${now}.tmp`, 'group1-shard1of1.bin'), 'x');
    await mkdir(path.join(models, `vgg19.${process.pid}.${now + 60_000}.tmp`));
    await mkdir(path.join(models, 'vgg16'));
    await writeFile(path.join(models, 'vgg16', 'model.json'), '{}');
    const kept = [
      'w.h5',
      'w.h5.part',
      'w.h5.part.json',
      `x.h5.${process.pid}.${now + 60_000}.part`,
    ];
    for (const name of [...kept, `w.h5.${dead}.${now}.part`, `labels.json.${dead}.${now}.tmp`]) {
      await writeFile(path.join(downloads, name), 'x');
    }
    // This process's PID with a time before it started: a PID reused from an earlier run.
    await writeFile(path.join(downloads, `old.h5.${process.pid}.1000.part`), 'x');

    const removed = await sweepCache(root);
    expect(removed.map((f) => path.basename(f)).sort()).toEqual(
      [
        `labels.json.${dead}.${now}.tmp`,
        `old.h5.${process.pid}.1000.part`,
        `vgg16.${dead}.${now}.tmp`,
        `w.h5.${dead}.${now}.part`,
      ].sort(),
    );
    expect((await readdir(downloads)).sort()).toEqual(kept.sort());
    expect((await readdir(models)).sort()).toEqual(
      ['vgg16', `vgg19.${process.pid}.${now + 60_000}.tmp`].sort(),
    );
    await writeFile(path.join(downloads, `w.h5.${dead}.${now}.part`), 'x');
    expect(await sweepCache(root)).toEqual([]);
  });
});
