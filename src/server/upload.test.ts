/**
 * `POST /api/decode`: PNG and TIFF bodies (made by sharp) come back as PNGs of the same size,
 * larger images shrunk to fit 2048x2048, garbage is a 415 with `{ error, hint }`, an empty
 * body a 400, and the upload limit holds both ways: a Content-Length over it is refused before
 * the body is sent (without `100 Continue` for a client that asks), and a chunked body is cut
 * off with 413 while it streams. Only same-origin requests with an image content type are
 * served (a cross-origin `text/plain` POST, as any web page can send, is a 403); a third
 * decode while two are running is a 503 with Retry-After; a 10000x10000 PNG bomb is refused
 * from its header, and 50 of them at once leave other requests answering quickly. Other
 * methods get 405 with `Allow: POST`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from './responses.js';
import { startServer, type RunningServer } from './serve.js';
import { readBody } from './upload.js';

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

async function decode(
  body: Buffer | Uint8Array,
  type = 'image/png',
  target: RunningServer = server,
): Promise<Response> {
  return fetch(`${target.url}api/decode`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': type },
  });
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (fetch would add or forbid some). */
function post(headers: Record<string, string>, body: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}api/decode`, { method: 'POST', headers });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Everything the server writes back for raw request `head`, until it closes (or 5 s pass). */
function rawExchange(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.setTimeout(5000, () => socket.destroy());
  });
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
    // Without the early check the server would sit waiting for a gigabyte.
    const answer = await rawExchange(
      'POST /api/decode HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n' +
        'Content-Length: 1000000000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('cross-origin-embedder-policy: require-corp');
  });

  it('does not send 100 Continue for a body over the limit', async () => {
    const answer = await rawExchange(
      'POST /api/decode HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n' +
        'Expect: 100-continue\r\nContent-Length: 1000000000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).not.toMatch(/100 Continue/i);
  });

  it('sends 100 Continue for an acceptable body, then decodes it', async () => {
    const image = await gradient(20, 10);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${server.url}api/decode`, {
        method: 'POST',
        headers: {
          'Content-Type': 'image/png',
          'Content-Length': String(image.length),
          Expect: '100-continue',
        },
      });
      request.on('continue', () => request.end(image));
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('cuts off a chunked body at the limit with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${server.url}api/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
      });
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

describe('POST /api/decode: who may call it', () => {
  it('refuses a cross-origin text/plain POST, as any web page can send, with 403', async () => {
    const answer = await post(
      {
        Origin: 'http://evil.example',
        'Content-Type': 'text/plain',
        'Sec-Fetch-Site': 'cross-site',
      },
      await gradient(8, 8),
    );
    expect(answer.status).toBe(403);
    expect(answer.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(JSON.parse(answer.body)).toMatchObject({ error: expect.stringMatching(/cross-origin/) });
  });

  it('refuses another origin even with an image type, and an opaque (null) origin', async () => {
    const cases: Record<string, string>[] = [
      { Origin: 'http://evil.example', 'Content-Type': 'image/png' },
      { Origin: `http://localhost:${server.port}`, 'Content-Type': 'image/png' }, // not 127.0.0.1
      { Origin: 'null', 'Content-Type': 'image/png' },
      { 'Sec-Fetch-Site': 'same-site', 'Content-Type': 'image/png' },
    ];
    for (const headers of cases) {
      expect((await post(headers, await gradient(8, 8))).status, JSON.stringify(headers)).toBe(403);
    }
  });

  it('serves the page of its own origin, as the browser labels it', async () => {
    const origin = server.url.replace(/\/$/, '');
    const answer = await post(
      { Origin: origin, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'image/tiff' },
      await sharp(await gradient(8, 6))
        .tiff()
        .toBuffer(),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('image/png');
  });

  it('needs an image content type (or octet-stream) even from the same origin', async () => {
    const image = await gradient(8, 8);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const response = await decode(image, type);
      expect(response.status, type).toBe(415);
      expect(((await response.json()) as { hint: string }).hint).toMatch(/image\/\*/);
    }
    expect((await post({}, image)).status).toBe(415); // no Content-Type at all
    expect((await decode(image, 'application/octet-stream')).status).toBe(200);
    expect((await decode(image, 'image/x-whatever; charset=binary')).status).toBe(200);
  });
});

describe('POST /api/decode: limits on the work', () => {
  let bomb: Buffer;
  let big: RunningServer;

  beforeAll(async () => {
    // 10000x10000 of one grey: about 300 KB of PNG that would decode to 300 MB of pixels.
    bomb = await sharp({
      create: { width: 10_000, height: 10_000, channels: 3, background: '#808080' },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    big = await startServer({ port: 0, appDir: dir, env: {} }); // default limits
  });

  afterAll(async () => {
    await big?.close();
  });

  it('shrinks a large image to fit 2048x2048, keeping its aspect', async () => {
    const wide = await sharp({
      create: { width: 3000, height: 1000, channels: 3, background: '#336699' },
    })
      .png()
      .toBuffer();
    expect(wide.length).toBeLessThan(LIMIT);
    const response = await decode(wide);
    expect(response.status).toBe(200);
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([2048, 683]);
  });

  it('refuses a 10000x10000 PNG bomb from its header with 413', async () => {
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const started = Date.now();
    const response = await decode(bomb, 'image/png', big);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: string; hint: string };
    expect(body.error).toBe('the image is 10000x10000 (100 MP), over the limit of 64 MP');
    expect(body.hint).toMatch(/--max-pixels/);
    // Decoding it takes ~0.5 s here; reading its header a few ms.
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('50 bombs at once: none decoded, other requests still answer at once', async () => {
    const storm = Array.from({ length: 50 }, () => decode(bomb, 'image/png', big));
    const started = Date.now();
    const other = await fetch(`${big.url}api/samples`);
    const otherMs = Date.now() - started;
    const statuses = await Promise.all(storm.map(async (r) => (await r).status));
    expect(other.status).toBe(200);
    expect(otherMs).toBeLessThan(2000);
    expect(statuses.every((s) => s === 413 || s === 503)).toBe(true);
  });

  it('a third decode while two run is a 503 with Retry-After; a slot frees when one ends', async () => {
    // Two uploads that announce a body and wait: the server says 100 Continue only once it
    // has taken a decode slot for them, so after both continues both slots are held.
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<http.ClientRequest>((resolve, reject) => {
            const request = http.request(`${server.url}api/decode`, {
              method: 'POST',
              headers: {
                'Content-Type': 'image/png',
                'Content-Length': '1000',
                Expect: '100-continue',
              },
            });
            request.on('continue', () => resolve(request));
            request.on('error', () => undefined);
            request.on('response', () => reject(new Error('answered before the body was sent')));
            request.flushHeaders();
          }),
      ),
    );
    const third = await decode(await gradient(8, 8));
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(((await third.json()) as { error: string }).error).toMatch(/already decoding 2/);
    // The server keeps serving everything else meanwhile.
    expect((await fetch(`${server.url}api/samples`)).status).toBe(200);
    held[0].destroy();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await decode(await gradient(8, 8))).status;
    }
    expect(status).toBe(200);
    held[1].destroy();
  });
});

describe('readBody', () => {
  it('gives up with 408 when the body stops arriving', async () => {
    const stalled = Object.assign(new PassThrough(), { headers: {} }) as unknown as IncomingMessage;
    (stalled as unknown as PassThrough).write(Buffer.alloc(10));
    const started = Date.now();
    const error = await readBody(stalled, 1000, 100).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(408);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
