/**
 * A third-party model host for browser tests: a tiny RGB classifier (32 px input, two conv
 * layers of 10 channels, 3 named classes, labels.json beside model.json) served by a plain
 * HTTP server on another origin, with the CORS and CORP headers a cross-origin isolated page
 * needs. Paths under `/slow/` serve the same files, but each weights shard waits until the
 * test calls `release()`: a model load that is still running when the test acts next.
 */
import * as tf from '@tensorflow/tfjs';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { saveModel } from '../helpers/fixture-models.js';

export const TINY_LABELS = ['red square', 'green disc', 'blue stripe'];

/** Writes the tiny model (model.json, one shard, labels.json) into `dir`. */
export async function writeTinyModel(dir: string): Promise<string> {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: 19 + i });
  const model = tf.sequential({
    name: 'tiny_rgb',
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 10,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv1',
        kernelInitializer: init(0),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({
        filters: 10,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv2',
        kernelInitializer: init(1),
      }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        units: 3,
        activation: 'softmax',
        name: 'probs',
        kernelInitializer: init(2),
      }),
    ],
  });
  await saveModel(model, dir, TINY_LABELS);
  model.dispose();
  return dir;
}

export interface ModelHost {
  /** Origin with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Resolves when a `/slow/` shard has been requested (the load is under way). */
  slowShardRequested: Promise<void>;
  /** Resolves when that shard's request ended: `aborted` if the page cancelled it. */
  slowShardEnded: Promise<'aborted' | 'sent'>;
  /** Lets the held `/slow/` shards go out. */
  release(): void;
  stop(): Promise<void>;
}

/** Serves the files of `dir` at `/tiny/...` and, held, at `/slow/...`. */
export async function hostModel(dir: string): Promise<ModelHost> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let requested!: () => void;
  const slowShardRequested = new Promise<void>((resolve) => (requested = resolve));
  let ended!: (how: 'aborted' | 'sent') => void;
  const slowShardEnded = new Promise<'aborted' | 'sent'>((resolve) => (ended = resolve));

  const server: Server = createServer((req, res) => {
    void (async () => {
      const headers = {
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
      };
      const match = /^\/(tiny|slow)\/([\w.-]+)$/.exec(new URL(req.url!, 'http://x').pathname);
      const body = match ? await readFile(path.join(dir, match[2])).catch(() => null) : null;
      if (!match || !body) {
        res.writeHead(404, headers).end('not found');
        return;
      }
      const held = match[1] === 'slow' && match[2].endsWith('.bin');
      if (held) {
        requested();
        res.on('close', () => ended(res.writableFinished ? 'sent' : 'aborted'));
        await released;
        if (res.destroyed) return;
      }
      const type = match[2].endsWith('.json') ? 'application/json' : 'application/octet-stream';
      res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    slowShardRequested,
    slowShardEnded,
    release,
    stop: () =>
      new Promise((resolve) => {
        release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
