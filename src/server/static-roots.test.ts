/**
 * Path traversal: nothing outside a root is ever served. Unit checks of `pathSegments`, then
 * raw requests (through a socket, so nothing normalizes `..` on the way) against a running
 * server whose app folder sits beside a secret file and holds symlinks that point out of it:
 * every attempt is a 400 or 404 and the secret never appears in any response.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from './responses.js';
import { startServer, type RunningServer } from './serve.js';
import { isInside, pathSegments } from './static-roots.js';

const SECRET = 'TOP-SECRET-7f3a9c';

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** Sends `GET <target>` exactly as written and returns the parsed answer. */
function rawGet(port: number, target: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split);
      resolve({
        status: Number(head.split(' ')[1]),
        headers: head.toLowerCase(),
        body: text.slice(split + 4),
      });
    });
  });
}

describe('pathSegments', () => {
  it('decodes each segment once and drops empty ones', () => {
    expect(pathSegments('/models//zoo/vgg16/model.json?x=../y#z')).toEqual([
      'models',
      'zoo',
      'vgg16',
      'model.json',
    ]);
    expect(pathSegments('/a%20b/%252e%252e')).toEqual(['a b', '%2e%2e']);
    expect(pathSegments('/')).toEqual([]);
  });

  it.each([
    '/../secret',
    '/a/..',
    '/%2e%2e/secret',
    '/%2E%2e/secret',
    '/..%2fsecret',
    '/a%2f..%2fsecret',
    '/..%5csecret',
    '/..\\secret',
    '/a%00b',
    '/./a',
    '/%zz',
    'secret',
    'http://example.com/secret',
  ])('rejects %s with 400', (target) => {
    expect(() => pathSegments(target)).toThrow(HttpError);
    try {
      pathSegments(target);
    } catch (error) {
      expect((error as HttpError).status).toBe(400);
    }
  });

  it('isInside compares whole path components', () => {
    expect(isInside('/srv/app', '/srv/app/a.js')).toBe(true);
    expect(isInside('/srv/app', '/srv/app')).toBe(true);
    expect(isInside('/srv/app', '/srv/app-other/a.js')).toBe(false);
    expect(isInside('/srv/app', '/srv/secret')).toBe(false);
  });
});

describe('no file outside a root is served', () => {
  let base: string;
  let server: RunningServer;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'convscope-traversal-'));
    const app = path.join(base, 'app');
    const patches = path.join(base, 'patches');
    await mkdir(path.join(app, 'sub'), { recursive: true });
    await mkdir(patches);
    await writeFile(path.join(base, 'secret.txt'), SECRET);
    await writeFile(path.join(base, 'secret.png'), SECRET);
    await writeFile(path.join(app, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(path.join(app, 'sub', 'real.txt'), 'inside');
    await writeFile(path.join(app, '.env'), SECRET);
    await symlink(path.join(base, 'secret.txt'), path.join(app, 'link.txt'));
    await symlink('../../secret.txt', path.join(app, 'sub', 'relative-link.txt'));
    await symlink(base, path.join(app, 'linkdir'));
    await symlink(path.join(app, 'sub', 'real.txt'), path.join(app, 'inner-link.txt'));
    await writeFile(path.join(patches, 'manifest.json'), JSON.stringify({ layer: 'conv1' }));
    await symlink(path.join(base, 'secret.png'), path.join(patches, 'escape.png'));
    await writeFile(path.join(patches, 'patches-index.json'), JSON.stringify({ files: [SECRET] }));
    server = await startServer({ port: 0, appDir: app, patches: [patches], env: {} });
  });

  afterAll(async () => {
    await server?.close();
    await rm(base, { recursive: true, force: true });
  });

  const attacks = [
    '/../secret.txt',
    '/sub/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/sub%2f..%2f..%2fsecret.txt',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/..%252fsecret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    `//${'..'}/secret.txt`,
    '/index.html%00/../../secret.txt',
    '/secret.txt%00.html',
    '/link.txt',
    '/sub/relative-link.txt',
    '/linkdir/secret.txt',
    '/.env',
    '/samples/../../secret.txt',
    '/samples/..%2f..%2fpackage.json',
    '/models/embedded/..%2f..%2fpackage.json',
    '/models/embedded/%2e%2e/%2e%2e/package.json',
    '/models/zoo/..%2f..%2f/model.json',
    '/models/cli/model.json',
    '/patches/0/..%2fsecret.png',
    '/patches/0/../secret.png',
    '/patches/0/escape.png',
    '/patches/0/patches-index.json',
    '/patches/-1/manifest.json',
    'http://localhost/../secret.txt',
  ];

  it.each(attacks)('%s is refused', async (target) => {
    const response = await rawGet(server.port, target);
    expect([400, 403, 404]).toContain(response.status);
    expect(response.body).not.toContain(SECRET);
    expect(response.headers).toContain('cross-origin-embedder-policy: require-corp');
  });

  it('absolute paths name files inside the root, not on the disk', async () => {
    const secret = path.join(base, 'secret.txt');
    const targets = [
      '/etc/passwd',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/samples//etc/hosts',
      `/${encodeURIComponent(secret)}`,
      `/${secret}`,
      `/models/embedded/${secret}`,
    ];
    for (const target of targets) {
      const response = await rawGet(server.port, target);
      expect([400, 404]).toContain(response.status);
      expect(response.body).not.toMatch(/root:|127\.0\.0\.1/);
      expect(response.body).not.toContain(SECRET);
    }
  });

  it('the secret really is there, and symlinks inside the root still work', async () => {
    const inner = await rawGet(server.port, '/inner-link.txt');
    expect(inner.status).toBe(200);
    expect(inner.body).toBe('inside');
    expect((await rawGet(server.port, '/sub/real.txt')).body).toBe('inside');
    expect((await rawGet(server.port, '/sub/%72eal.txt')).body).toBe('inside');
  });

  it('a raw NUL byte in the request line is a 400 with the security headers', async () => {
    const response = await rawGet(server.port, '/index.html\0/../../secret.txt');
    expect(response.status).toBe(400);
    expect(response.body).not.toContain(SECRET);
    expect(response.headers).toContain('cross-origin-opener-policy: same-origin');
  });
});
