/**
 * `convscope serve` and `startServer`, offline: a temporary app folder (index.html, .js, .mjs,
 * .css, .wasm, ...), a temporary zoo cache holding two fake converted models and the ImageNet
 * class index, a `--model` folder and two patch runs. Checks the security headers on 200, 404,
 * 405 and 500 answers, content types, ETag revalidation, `/api/models` (embedded, zoo, `--model`
 * as default), model files byte for byte, `/api/samples`, `/api/patches` with the manifest's
 * paths made relative, and the built CLI end to end (URL, SIGINT exit 0, the network warning,
 * a port in use, `--max-pixels` and the same-origin rule of `POST /api/decode`). Traversal:
 * src/server/static-roots.test.ts; uploads: upload.test.ts there; `--model` forms and start-up
 * errors: serve.test.ts there.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DIR, PACKAGE_ROOT } from '../src/node/open-model.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { BIN } from './helpers/cli.js';
import type { ModelEntry } from '../src/core/server-api.js';

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

let base: string;
let appDir: string;
let cache: string;
let cliModel: string;
let patchesDir: string;
let brokenPatches: string;
let server: RunningServer;
let plain: RunningServer;
const logged: string[] = [];

function expectIsolation(response: Response): void {
  for (const [name, value] of Object.entries(ISOLATION)) {
    expect(response.headers.get(name), name).toBe(value);
  }
}

const png = (size: number) =>
  sharp({ create: { width: size, height: size, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();

async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

const fakeModel = (shard: string) =>
  JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths: [shard], weights: [] }] });

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'convscope-serve-'));
  appDir = path.join(base, 'app');
  cache = path.join(base, 'cache');
  cliModel = path.join(base, 'my-model');
  patchesDir = path.join(base, 'patches');
  brokenPatches = path.join(base, 'broken-patches');
  await writeFiles(appDir, {
    'index.html': '<!doctype html><title>convscope</title>',
    'assets/app.js': 'console.log(1);',
    'assets/worker.mjs': 'export {};',
    'assets/style.css': 'body{}',
    'assets/data.json': '{}',
    'assets/icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    'assets/tile.png': await png(4),
    'assets/tfjs-backend-wasm-simd.wasm': Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]),
    'assets/blob.bin': Buffer.from([1, 2, 3]),
  });
  await writeFiles(cache, {
    'models/vgg16/model.json': fakeModel('group1-shard1of1.bin'),
    'models/vgg16/group1-shard1of1.bin': Buffer.from([9, 8, 7]),
    'models/vgg16-notop/model.json': fakeModel('group1-shard1of1.bin'),
    'downloads/imagenet_class_index.json': JSON.stringify({
      0: ['n01440764', 'tench'],
      1: ['n01443537', 'goldfish'],
    }),
  });
  await writeFiles(cliModel, {
    'model.json': fakeModel('weights/w1.bin'),
    'weights/w1.bin': Buffer.from([4, 5, 6, 7]),
    'labels.json': JSON.stringify(['cat', 'dog']),
    'private-notes.txt': 'not for the network',
  });
  // As `convscope patches --out runs/p1` writes it from another working directory.
  const item = { image: 'imgs/a.png', y: 1, x: 2, activation: 3.5, box: [0, 0, 4, 4] };
  const manifest = {
    layer: 'conv1',
    grid: 'runs/p1/conv1.png',
    filters: [
      {
        index: 0,
        top: [
          { ...item, file: 'runs/p1/conv1/c0_0.png', deconvFile: 'runs/p1/conv1/c0_0_deconv.png' },
        ],
      },
    ],
  };
  await writeFiles(patchesDir, {
    'manifest.json': JSON.stringify(manifest),
    'conv1.png': await png(8),
    'conv1/c0_0.png': await png(4),
    'conv1/c0_0_deconv.png': await png(4),
  });
  // A run over two layers writes an array.
  const second = { ...manifest, layer: 'conv2', grid: 'runs/p1/conv2.png', filters: [] };
  await writeFiles(brokenPatches, { 'manifest.json': JSON.stringify([manifest, second]) });
  const env = { CONVSCOPE_CACHE: cache };
  server = await startServer({
    port: 0,
    appDir,
    env,
    model: cliModel,
    patches: [patchesDir, brokenPatches],
    log: (line) => logged.push(line),
  });
  plain = await startServer({ port: 0, appDir, env: { CONVSCOPE_CACHE: path.join(base, 'none') } });
});

afterAll(async () => {
  await server?.close();
  await plain?.close();
  await rm(base, { recursive: true, force: true });
});

describe('static files and headers', () => {
  it('serves index.html at / with no-cache and the isolation headers', async () => {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expectIsolation(response);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain('<title>convscope</title>');
  });

  it.each([
    ['assets/app.js', 'text/javascript; charset=utf-8'],
    ['assets/worker.mjs', 'text/javascript; charset=utf-8'],
    ['assets/style.css', 'text/css; charset=utf-8'],
    ['assets/data.json', 'application/json; charset=utf-8'],
    ['assets/icon.svg', 'image/svg+xml'],
    ['assets/tile.png', 'image/png'],
    ['assets/tfjs-backend-wasm-simd.wasm', 'application/wasm'],
    ['assets/blob.bin', 'application/octet-stream'],
    ['index.html', 'text/html; charset=utf-8'],
  ])('%s is %s', async (file, type) => {
    const response = await fetch(`${server.url}${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expectIsolation(response);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(await readFile(path.join(appDir, file)))).toBe(true);
  });

  it('answers HEAD without a body and revalidates with the ETag', async () => {
    const head = await fetch(`${server.url}assets/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('15');
    expect(await head.text()).toBe('');
    const etag = head.headers.get('etag')!;
    const again = await fetch(`${server.url}assets/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expectIsolation(again);
  });

  it('404s carry the headers: JSON under /api, HTML elsewhere', async () => {
    const page = await fetch(`${server.url}no/such/file.js`);
    expect(page.status).toBe(404);
    expectIsolation(page);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const api = await fetch(`${server.url}api/nothing`);
    expect(api.status).toBe(404);
    expectIsolation(api);
    expect(await api.json()).toEqual({ error: 'not found' });
    expect((await fetch(`${server.url}assets`)).status).toBe(404);
  });

  it('only GET and HEAD outside /api/decode (405 with Allow)', async () => {
    for (const [method, url] of [
      ['POST', ''],
      ['PUT', 'assets/app.js'],
      ['DELETE', 'api/models'],
      ['POST', 'no/such/file'],
    ]) {
      const response = await fetch(`${server.url}${url}`, {
        method,
        body: method === 'DELETE' ? undefined : 'x',
      });
      expect(response.status, `${method} /${url}`).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expectIsolation(response);
    }
  });
});

describe('/api/models and the model files', () => {
  it('lists the embedded model as the default when there is no --model', async () => {
    const models = (await (await fetch(`${plain.url}api/models`)).json()) as ModelEntry[];
    expect(models).toEqual([
      {
        name: 'embedded',
        source: 'embedded',
        url: '/models/embedded/model.json',
        labelsUrl: '/models/embedded/labels.json',
        meanUrl: '/models/embedded/mean.png',
        default: true,
      },
    ]);
  });

  it('lists embedded, the cached zoo models and --model (the default)', async () => {
    const response = await fetch(`${server.url}api/models`);
    expectIsolation(response);
    const models = (await response.json()) as ModelEntry[];
    expect(models.map((m) => [m.name, m.source, m.default ?? false])).toEqual([
      ['embedded', 'embedded', false],
      ['vgg16', 'zoo', false],
      ['vgg16-notop', 'zoo', false],
      [cliModel, 'cli', true],
    ]);
    const [, vgg16, notop, cli] = models;
    expect(vgg16).toMatchObject({
      url: '/models/zoo/vgg16/model.json',
      labelsUrl: '/models/zoo/vgg16/labels.json',
    });
    expect(notop.labelsUrl).toBeUndefined();
    expect(cli).toMatchObject({
      url: '/models/cli/model.json',
      labelsUrl: '/models/cli/labels.json',
    });
    expect(cli.meanUrl).toBeUndefined();
  });

  it('serves the embedded model.json and weights.bin byte for byte', async () => {
    for (const file of ['model.json', 'weights.bin', 'labels.json', 'mean.png']) {
      const response = await fetch(`${server.url}models/embedded/${file}`);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(await readFile(path.join(EMBEDDED_DIR, file))), file).toBe(true);
    }
    const weights = await fetch(`${server.url}models/embedded/weights.bin`);
    expect(weights.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('serves the --model files its manifest names, and nothing else of its folder', async () => {
    const weights = await fetch(`${server.url}models/cli/weights/w1.bin`);
    expect(Buffer.from(await weights.arrayBuffer())).toEqual(Buffer.from([4, 5, 6, 7]));
    expect(await (await fetch(`${server.url}models/cli/labels.json`)).json()).toEqual([
      'cat',
      'dog',
    ]);
    expect((await fetch(`${server.url}models/cli/private-notes.txt`)).status).toBe(404);
    expect((await fetch(`${plain.url}models/cli/model.json`)).status).toBe(404);
  });

  it('serves cached zoo models, with the class index as a plain array', async () => {
    const shard = await fetch(`${server.url}models/zoo/vgg16/group1-shard1of1.bin`);
    expect(Buffer.from(await shard.arrayBuffer())).toEqual(Buffer.from([9, 8, 7]));
    const labels = await fetch(`${server.url}models/zoo/vgg16/labels.json`);
    expectIsolation(labels);
    expect(await labels.json()).toEqual(['tench', 'goldfish']);
    expect((await fetch(`${server.url}models/zoo/vgg16-notop/labels.json`)).status).toBe(404);
    expect((await fetch(`${server.url}models/zoo/vgg19/model.json`)).status).toBe(404);
  });
});

describe('/api/samples and /api/patches', () => {
  it('lists the input samples, the 1,000 Fashion-MNIST images and the RGB photos', async () => {
    const samples = (await (await fetch(`${server.url}api/samples`)).json()) as {
      name: string;
      url: string;
      label?: string;
      channels: number;
    }[];
    const inputs = (await readdir(path.join(PACKAGE_ROOT, 'samples', 'inputs'))).filter((f) =>
      f.endsWith('.png'),
    );
    const photos = (await readdir(path.join(PACKAGE_ROOT, 'samples', 'photos'))).filter((f) =>
      f.endsWith('.jpg'),
    );
    expect(inputs.length).toBeGreaterThan(0);
    expect(photos.length).toBeGreaterThanOrEqual(3);
    expect(samples).toHaveLength(1000 + inputs.length + photos.length);
    expect(samples).toContainEqual(
      expect.objectContaining({
        url: '/samples/inputs/ankle-boot.png',
        label: 'Ankle boot',
        channels: 1,
      }),
    );
    // The photos are RGB and small (the package ships them).
    const rgb = samples.filter((s) => s.channels === 3);
    expect(rgb.map((s) => s.url).sort()).toEqual(photos.map((f) => `/samples/photos/${f}`).sort());
    for (const photo of rgb) {
      const bytes = Buffer.from(
        await (await fetch(`${server.url}${photo.url.slice(1)}`)).arrayBuffer(),
      );
      expect(bytes.length).toBeLessThanOrEqual(64 * 1024);
      expect((await sharp(bytes).metadata()).channels).toBe(3);
    }
    const fashion = samples.find((s) => s.url === '/samples/fashion-mnist/0000-ankle-boot.png');
    expect(fashion?.label).toBe('Ankle boot');
    const image = await fetch(`${server.url}${fashion!.url.slice(1)}`);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(await image.arrayBuffer())).metadata()).width).toBe(28);
  });

  it('lists patch runs and serves their manifest with paths relative to it', async () => {
    const list = await (await fetch(`${server.url}api/patches`)).json();
    expect(list).toEqual([
      { id: 0, layer: 'conv1', manifestUrl: '/patches/0/manifest.json' },
      { id: 1, layer: 'conv1', manifestUrl: '/patches/1/manifest.json?layer=conv1' },
      { id: 1, layer: 'conv2', manifestUrl: '/patches/1/manifest.json?layer=conv2' },
    ]);
    const conv2 = await fetch(`${server.url}patches/1/manifest.json?layer=conv2`);
    expect(await conv2.json()).toEqual({ layer: 'conv2', grid: 'conv2.png', filters: [] });
    expect((await fetch(`${server.url}patches/1/manifest.json?layer=conv9`)).status).toBe(404);
    const whole = await fetch(`${server.url}patches/1/manifest.json`);
    expect(((await whole.json()) as unknown[]).length).toBe(2);
    const manifestUrl = new URL('/patches/0/manifest.json', server.url);
    const manifest = (await (await fetch(manifestUrl)).json()) as {
      grid: string;
      filters: { top: { file: string; deconvFile: string; image: string }[] }[];
    };
    const [top] = manifest.filters[0].top;
    expect([manifest.grid, top.file, top.deconvFile, top.image]).toEqual([
      'conv1.png',
      'conv1/c0_0.png',
      'conv1/c0_0_deconv.png',
      'imgs/a.png',
    ]);
    for (const file of [manifest.grid, top.file, top.deconvFile]) {
      const response = await fetch(new URL(file, manifestUrl));
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
    }
  });

  it('a failing handler answers 500 with JSON and the server keeps running', async () => {
    await writeFile(path.join(brokenPatches, 'manifest.json'), '{ this is not json');
    const response = await fetch(`${server.url}patches/1/manifest.json`);
    expect(response.status).toBe(500);
    expectIsolation(response);
    expect(((await response.json()) as { error: string }).error).toMatch(/JSON/);
    expect(logged.some((line) => line.includes('/patches/1/manifest.json'))).toBe(true);
    expect((await fetch(`${server.url}api/models`)).status).toBe(200);
  });
});

interface Child {
  line: Promise<string>;
  stderr: () => string;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** `node bin/convscope.js serve ...` with its first stdout line and its exit code. */
function serve(...args: string[]): Child {
  const child = spawn('node', [BIN, 'serve', '--app-dir', appDir, ...args], {
    env: { ...process.env, CONVSCOPE_CACHE: cache },
  });
  let stdout = '';
  let stderr = '';
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { line, stderr: () => stderr, exit, kill: (signal) => child.kill(signal) };
}

describe('the CLI (built: npm run build)', () => {
  it('prints the URL as JSON, serves, and exits 0 on SIGINT', async () => {
    const child = serve('--port', '0', '--json');
    const { url } = JSON.parse(await child.line) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const models = (await (await fetch(`${url}api/models`)).json()) as ModelEntry[];
    expect(models.map((m) => m.name)).toEqual(['embedded', 'vgg16', 'vgg16-notop']);
    expect(models[0].default).toBe(true);
    child.kill('SIGINT');
    expect(await child.exit).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('warns when it listens beyond this machine, and stops on SIGTERM', async () => {
    const child = serve('--host', '0.0.0.0', '--port', '0');
    expect(await child.line).toMatch(/^convscope workbench: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(child.stderr()).toMatch(/warning: listening on 0\.0\.0\.0: anyone .* network/);
    child.kill('SIGTERM');
    expect(await child.exit).toBe(0);
  });

  it('--max-pixels limits POST /api/decode, which refuses other origins', async () => {
    const child = serve('--port', '0', '--json', '--max-pixels', '0.001');
    const { url } = JSON.parse(await child.line) as { url: string };
    const upload = async (body: Buffer, headers: Record<string, string>) =>
      fetch(`${url}api/decode`, { method: 'POST', body, headers });
    const small = await upload(await png(20), { 'Content-Type': 'image/png' });
    expect(small.status).toBe(200);
    const large = await upload(await png(40), { 'Content-Type': 'image/png' });
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: string }).error).toBe(
      'the image is 40x40 (0.0016 MP), over the limit of 0.001 MP',
    );
    const foreign = await upload(await png(20), {
      'Content-Type': 'text/plain',
      Origin: 'http://evil.example',
    });
    expect(foreign.status).toBe(403);
    expectIsolation(foreign);
    child.kill('SIGINT');
    expect(await child.exit).toBe(0);
  });

  it('a port in use is a one-line error with the --port 0 hint', async () => {
    const child = serve('--port', String(server.port));
    await expect(child.line).rejects.toThrow();
    expect(await child.exit).toBe(1);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`port ${server.port} .*in use.*--port 0`));
  });
});
