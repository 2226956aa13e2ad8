/** Cache locations and extra zoo records from the environment (CLI.md's contract). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGENET_LABELS, findZooRecord } from '../../core/models/zoo.js';
import { cacheDir, downloadPath, modelDir, zooRecords } from './cache-paths.js';

describe('cache paths', () => {
  it('uses CONVSCOPE_CACHE, then $XDG_CACHE_HOME/convscope, then ~/.cache/convscope', () => {
    expect(cacheDir({ CONVSCOPE_CACHE: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/convscope');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe('/h/.cache/convscope');
    expect(cacheDir({ HOME: '/h' })).toBe('/h/.cache/convscope');
    expect(cacheDir({})).toBe(path.join(os.homedir(), '.cache', 'convscope'));
  });

  it('keeps downloads under their published paths and converted models by name', () => {
    const env = { CONVSCOPE_CACHE: '/c' };
    expect(downloadPath(findZooRecord('vgg19-notop').weights, env)).toBe(
      '/c/downloads/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    );
    expect(downloadPath(IMAGENET_LABELS, env)).toBe('/c/downloads/imagenet_class_index.json');
    expect(modelDir('vgg16', env)).toBe('/c/models/vgg16');
  });

  it('adds the records of CONVSCOPE_ZOO and refuses to shadow built-in names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'convscope-zoo-env-'));
    const file = path.join(dir, 'zoo.json');
    const extra = {
      name: 'mine',
      architecture: { family: 'vgg16', includeTop: false, size: 64 },
      weights: { base: 'http://x/', path: 'mine.h5' },
    };
    await writeFile(file, JSON.stringify([extra]));
    expect(zooRecords({ CONVSCOPE_ZOO: file }).map((r) => r.name)).toEqual([
      'vgg16',
      'vgg16-notop',
      'vgg19',
      'vgg19-notop',
      'mine',
    ]);
    await writeFile(file, JSON.stringify([{ ...extra, name: 'vgg16' }]));
    expect(() => zooRecords({ CONVSCOPE_ZOO: file })).toThrow(/'vgg16' is already a built-in/);
    expect(() => zooRecords({ CONVSCOPE_ZOO: path.join(dir, 'none.json') })).toThrow(
      /cannot read CONVSCOPE_ZOO file/,
    );
    await rm(dir, { recursive: true, force: true });
  });
});
