/**
 * `startServer` options: the forms `--model` takes (a model.json file, a cached zoo name, a URL;
 * each becomes the one default in `/api/models`), start-up errors that name their fix (app not
 * built, missing or model-less `--model`, uncached zoo model, `--patches` without a manifest,
 * bad port), and which hosts count as loopback. Served content: test/server.test.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvscopeError } from '../core/errors.js';
import { isLoopback, startServer } from './serve.js';

interface ModelJson {
  name: string;
  source: string;
  url: string;
  default?: boolean;
}

let base: string;
let appDir: string;
let cache: string;
let cliModel: string;
let empty: string;

const fakeModel = JSON.stringify({
  format: 'layers-model',
  weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }],
});

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'convscope-serve-options-'));
  appDir = path.join(base, 'app');
  cache = path.join(base, 'cache');
  cliModel = path.join(base, 'my-model');
  empty = path.join(base, 'empty');
  for (const dir of [appDir, path.join(cache, 'models', 'vgg16'), cliModel, empty]) {
    await mkdir(dir, { recursive: true });
  }
  await writeFile(path.join(appDir, 'index.html'), '<!doctype html>');
  await writeFile(path.join(cache, 'models', 'vgg16', 'model.json'), fakeModel);
  await writeFile(path.join(cliModel, 'model.json'), fakeModel);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('--model forms', () => {
  it('--model may also be a model.json file, a cached zoo name or a URL', async () => {
    const cases: [string, Partial<ModelJson>][] = [
      [path.join(cliModel, 'model.json'), { source: 'cli', url: '/models/cli/model.json' }],
      ['vgg16', { name: 'vgg16', source: 'zoo', url: '/models/zoo/vgg16/model.json' }],
      [
        'https://example.com/m/model.json',
        { source: 'cli', url: 'https://example.com/m/model.json' },
      ],
    ];
    for (const [model, expected] of cases) {
      const other = await startServer({ port: 0, appDir, model, env: { CONVSCOPE_CACHE: cache } });
      try {
        const models = (await (await fetch(`${other.url}api/models`)).json()) as ModelJson[];
        const defaults = models.filter((m) => m.default);
        expect(defaults, model).toEqual([expect.objectContaining(expected)]);
      } finally {
        await other.close();
      }
    }
  });
});

describe('start-up errors name the fix', () => {
  const failure = async (options: Parameters<typeof startServer>[0]) => {
    const error = await startServer({ port: 0, appDir, ...options }).then(
      (s) => s.close().then(() => null),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConvscopeError);
    const { message, hint } = error as ConvscopeError;
    return `${message} (${hint})`;
  };

  it('an app folder without index.html', async () => {
    expect(await failure({ appDir: path.join(base, 'nowhere') })).toMatch(
      /workbench is not built.*nowhere.*npm run build/,
    );
  });

  it('a --model that is missing, has no model.json, or is an uncached zoo model', async () => {
    const missing = path.join(base, 'missing-model');
    expect(await failure({ model: missing })).toContain(missing);
    expect(await failure({ model: empty })).toMatch(/has no model\.json/);
    expect(await failure({ model: 'vgg19', env: { CONVSCOPE_CACHE: cache } })).toContain(
      '`convscope models fetch vgg19`',
    );
  });

  it('a --patches folder without manifest.json', async () => {
    expect(await failure({ patches: [appDir] })).toMatch(/no manifest\.json.*convscope patches/);
  });

  it('an invalid port or upload limit', async () => {
    expect(await failure({ port: 70000 })).toMatch(/invalid port 70000/);
    expect(await failure({ maxUploadBytes: 0 })).toMatch(/invalid upload limit/);
  });
});

it('isLoopback', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
    expect(isLoopback(host), host).toBe(true);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com']) {
    expect(isLoopback(host), host).toBe(false);
  }
});
