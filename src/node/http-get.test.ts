/**
 * httpGet's timeouts and words against servers on 127.0.0.1. The connect timeout needs a port
 * whose TCP handshake never completes: a listener with backlog 1 whose thread is blocked, so
 * nothing is accepted, with its accept queue filled first (Linux then drops further SYNs).
 * Also: refused connections in words, redirects followed, a body that stalls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, NetworkError } from './http-get.js';

const BLOCKED_LISTENER = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const server = net.createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  setTimeout(() => Atomics.wait(new Int32Array(workerData), 0, 0, 60000), 10);
});`;

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { location: '/hello' }).end();
    else if (req.url === '/hello') res.end('hello');
    else if (req.url === '/stall') res.writeHead(200, { 'content-length': 10 }).write('abc');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<NetworkError> {
  try {
    await promise;
  } catch (error) {
    return error as NetworkError;
  }
  throw new Error('expected a failure');
}

async function text(url: string): Promise<string> {
  return Buffer.from(await (await httpGet(url, { timeoutMs: 2000 })).arrayBuffer()).toString();
}

describe('httpGet', () => {
  it('follows redirects and reads the body', async () => {
    expect(await text(`${base}/redirect`)).toBe('hello');
  });

  it('says "stalled" when the body stops, with the URL', async () => {
    const response = await httpGet(`${base}/stall`, { timeoutMs: 300 });
    const error = await failure(response.arrayBuffer());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toBe(`cannot download ${base}/stall: stalled: no data for 0.3 s`);
    expect(error.timedOut).toBe(true);
  });

  it('says "connection refused" for a closed port', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(httpGet(url, { timeoutMs: 2000 }));
    expect(error.message).toBe(`cannot download ${url}: connection refused`);
    expect(error.timedOut).toBe(false);
  });

  it('times out a connection that is never established', async () => {
    const gate = new SharedArrayBuffer(4);
    const worker = new Worker(BLOCKED_LISTENER, { eval: true, workerData: gate });
    const sockets: net.Socket[] = [];
    try {
      const port = await new Promise<number>((resolve) => worker.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Fill the accept queue: connect until a handshake no longer completes.
      for (let i = 0; i < 10; i++) {
        const socket = net.connect(port, '127.0.0.1').on('error', () => undefined);
        sockets.push(socket);
        const connected = await new Promise((resolve) => {
          socket.once('connect', () => resolve(true));
          setTimeout(() => resolve(false), 300);
        });
        if (!connected) break;
      }
      const url = `http://127.0.0.1:${port}/model.json`;
      const start = Date.now();
      const error = await failure(httpGet(url, { timeoutMs: 500 }));
      expect(error.message).toBe(`cannot download ${url}: connect timed out after 0.5 s`);
      expect(error.timedOut).toBe(true);
      expect(Date.now() - start).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      await worker.terminate();
    }
  });
});
