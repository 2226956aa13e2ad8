/**
 * `POST /api/decode`: PNG and TIFF bodies (made by sharp) come back as PNGs of the same size,
 * garbage is a 415 with `{ error, hint }`, an empty body a 400, and the upload limit holds both
 * ways: a Content-Length over it is refused before the body is sent, and a chunked body is cut
 * off with 413 while it streams. Other methods get 405 with `Allow: POST`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './serve.js';

const LIMIT = 64 * 1024;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-upload-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html>');
  server = await startServer({ port: 0, appDir: dir, maxUploadBytes: LIMIT, env: {} });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function gradient(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

async function decode(body: Buffer | Uint8Array): Promise<Response> {
  return fetch(`${server.url}api/decode`, { method: 'POST', body });
}

describe('POST /api/decode', () => {
  it('answers a PNG for a PNG', async () => {
    const response = await decode(await gradient(40, 30));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 40, 30]);
  });

  it('decodes a TIFF to a PNG of the same size and pixels', async () => {
    const png = await gradient(33, 21);
    const tiff = await sharp(png).tiff({ compression: 'lzw' }).toBuffer();
    expect((await sharp(tiff).metadata()).format).toBe('tiff');
    const response = await decode(tiff);
    expect(response.status).toBe(200);
    const out = Buffer.from(await response.arrayBuffer());
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 33, 21]);
    const raw = (bytes: Buffer) => sharp(bytes).removeAlpha().raw().toBuffer();
    expect((await raw(out)).equals(await raw(png))).toBe(true);
  });

  it('refuses bytes that are no image with 415 and a hint', async () => {
    const response = await decode(Buffer.from('this is not an image at all, just text'));
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const body = (await response.json()) as { error: string; hint: string };
    expect(body.error).toMatch(/cannot decode/);
    expect(body.hint).toMatch(/TIFF/);
  });

  it('refuses an empty body with 400', async () => {
    const response = await decode(new Uint8Array(0));
    expect(response.status).toBe(400);
  });

  it('refuses a body over the limit with 413 (Content-Length)', async () => {
    const response = await decode(new Uint8Array(LIMIT + 1));
    expect(response.status).toBe(413);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(((await response.json()) as { hint: string }).hint).toMatch(/--max-upload/);
  });

  it('answers 413 from the Content-Length alone, before any body is sent', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(
          'POST /api/decode HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      // Without the early check the server would sit waiting for a gigabyte.
      socket.setTimeout(5000, () => socket.destroy());
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('cross-origin-embedder-policy: require-corp');
  });

  it('cuts off a chunked body at the limit with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${server.url}api/decode`, { method: 'POST' });
      let sent = 0;
      let done = false;
      request.on('response', (response) => {
        done = true;
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', (error) => (done ? undefined : reject(error)));
      const chunk = Buffer.alloc(4096, 1);
      const pump = () => {
        // Far more than the limit, sent until the server cuts it off.
        while (!done && sent < LIMIT * 64 && request.write(chunk)) sent += chunk.length;
        if (done) return;
        if (sent < LIMIT * 64) request.once('drain', pump);
        else request.end();
      };
      pump();
    });
    expect(status).toBe(413);
    // The server keeps serving afterwards.
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('allows only POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(`${server.url}api/decode`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    }
  });
});
