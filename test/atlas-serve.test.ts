/**
 * `serve --atlas SITE` in process: the site under `/atlas/` (`/atlas` redirects there so the
 * page's relative links resolve), its files as they are on disk, `workbench.js` answered by the
 * server with the workbench's address and the atlas's model (the site's own is an empty stub),
 * and a folder that holds no atlas refused at start with the fix.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAtlas, saveManifest } from '../src/node/atlas/plan.js';
import { writeSiteAssets } from '../src/node/atlas/site.js';
import type { VisModel } from '../src/core/models/vis-model.js';
import { startServer } from '../src/server/serve.js';

let base: string;
let appDir: string;
let site: string;

/** Just enough of a model for a plan: one conv layer of two units. */
const model = {
  input: { height: 8, width: 8, channels: 1 },
  layer: () => ({
    kind: 'Conv2D',
    channels: 2,
    outputShape: [8, 8, 2],
    receptiveField: { vertical: { size: 3, jump: 1, start: 0 } },
  }),
} as unknown as VisModel;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'convscope-atlas-serve-'));
  appDir = path.join(base, 'app');
  site = path.join(base, 'site');
  await mkdir(appDir, { recursive: true });
  await writeFile(path.join(appDir, 'index.html'), '<!doctype html><title>workbench</title>');
  const settings = {
    model: 'embedded',
    engine: 'tfjs',
    preset: 'lucid',
    steps: 8,
    seed: 0,
    diversity: 1,
    top: 9,
    overrides: {},
  };
  await writeSiteAssets(site);
  await saveManifest(site, planAtlas(model, ['conv'], settings, 'convscope@test'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('serve --atlas', () => {
  it('serves the site under /atlas/ with the workbench script', async () => {
    const server = await startServer({ port: 0, appDir, atlas: site, log: () => undefined });
    try {
      const moved = await fetch(`${server.url}atlas`, { redirect: 'manual' });
      expect(moved.status).toBe(301);
      expect(moved.headers.get('location')).toBe('/atlas/');
      const index = await fetch(`${server.url}atlas/`);
      expect(await index.text()).toBe(await readFile(path.join(site, 'index.html'), 'utf8'));
      const script = await fetch(`${server.url}atlas/workbench.js`);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      expect(await script.text()).toBe(
        'window.CONVSCOPE_WORKBENCH = {"url":"/","model":"embedded"};\n',
      );
      const data = await fetch(`${server.url}atlas/atlas.json`);
      expect(((await data.json()) as { units: unknown[] }).units).toHaveLength(2);
      expect((await fetch(`${server.url}atlas/nothing.png`)).status).toBe(404);
      // The workbench itself is still at the root.
      expect(await (await fetch(server.url)).text()).toMatch(/<title>workbench/);
    } finally {
      await server.close();
    }
  });

  it('refuses a folder without an atlas', async () => {
    await expect(startServer({ port: 0, appDir, atlas: appDir })).rejects.toThrow(
      /holds no atlas \(no atlas\.json\)/,
    );
  });
});
