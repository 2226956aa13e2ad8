import * as tf from '@tensorflow/tfjs';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequentialModel, saveModel } from '../../test/helpers/fixture-models.js';
import { initBackend } from './backend.js';
import { loadLayersModel } from './load-layers-model.js';

let dir: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-load-'));
  await saveModel(sequentialModel(), path.join(dir, 'good'));
  server = createServer(async (request, response) => {
    const file = path.join(dir, 'good', path.basename(request.url ?? ''));
    const body = await readFile(file).catch(() => null);
    response.writeHead(body ? 200 : 404).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

async function copyGood(name: string): Promise<string> {
  const target = path.join(dir, name);
  await saveModel(sequentialModel(), target);
  return target;
}

describe('loadLayersModel', () => {
  it('loads the same model from a directory, a model.json path and an http URL', async () => {
    const x = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 3);
    const expected = (sequentialModel().predict(x) as tf.Tensor).dataSync();
    for (const spec of [
      path.join(dir, 'good'),
      path.join(dir, 'good', 'model.json'),
      `${baseUrl}/model.json`,
    ]) {
      const model = await loadLayersModel(spec);
      expect(Array.from((model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
    }
  });

  it('says when the path does not exist', async () => {
    await expect(loadLayersModel(path.join(dir, 'nowhere'))).rejects.toThrow(
      /model not found: .*nowhere/,
    );
  });

  it('says when model.json is not JSON', async () => {
    const target = await copyGood('broken-json');
    await writeFile(path.join(target, 'model.json'), '{"modelTopology": ');
    await expect(loadLayersModel(target)).rejects.toThrow(/is not valid JSON/);
  });

  it('says when model.json is a graph model', async () => {
    const target = await copyGood('graph');
    await writeFile(
      path.join(target, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }),
    );
    await expect(loadLayersModel(target)).rejects.toThrow(
      /graph model; convscope needs a layers model/,
    );
  });

  it('names a missing shard', async () => {
    const target = await copyGood('missing-shard');
    await unlink(path.join(target, 'group1-shard1of1.bin'));
    await expect(loadLayersModel(target)).rejects.toThrow(
      /weights shard 'group1-shard1of1.bin' .* is missing/,
    );
  });

  it('names a truncated shard with its sizes', async () => {
    const target = await copyGood('truncated');
    await truncate(path.join(target, 'group1-shard1of1.bin'), 100);
    await expect(loadLayersModel(target)).rejects.toThrow(/hold 100 bytes but .* expects \d+/);
  });

  it('reports an HTTP error with its status', async () => {
    await expect(loadLayersModel(`${baseUrl}/absent.json`)).rejects.toThrow(/HTTP 404/);
  });
});
