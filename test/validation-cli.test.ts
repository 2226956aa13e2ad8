/**
 * Issue 17, items 3, 7 and 8 through the compiled CLI: bad sizes, ranges, counts, enums,
 * folders, damaged images, output names and saved scans are refused up front with one line
 * and exit code 1, leaving nothing behind; `patches` keeps its folder and counts honest; and
 * Grad-CAM explains a class at the layer `--layer` names.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

let dir: string;
let images: string;
const sample = path.resolve('samples/inputs/sneaker.png');
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-validation-'));
  images = path.join(dir, 'images');
  await mkdir(images);
  const samples = path.resolve('samples/fashion-mnist');
  const names = (await readdir(samples))
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, 6);
  for (const name of names) await copyFile(path.join(samples, name), path.join(images, name));
  // Two truncated files: decoded at once, each must keep its own decoder error.
  const raw = Buffer.alloc(64 * 64 * 3).map((_, j) => (j * 7) % 251);
  const image = () => sharp(raw, { raw: { width: 64, height: 64, channels: 3 } });
  const png = await image().png().toBuffer();
  const jpeg = await image().jpeg().toBuffer();
  await writeFile(path.join(images, 'zz-cut.png'), png.subarray(0, png.length >> 1));
  await writeFile(path.join(images, 'zz-cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs a command that must fail: exit 1, one line on stderr, nothing on stdout. */
async function refused(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await cli(...args);
  expect(code, stderr).toBe(1);
  expect(stdout).toBe('');
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr.trimEnd();
}

describe('item 3: --size is checked against the layer graph and memory', () => {
  const vgg = ['--model', 'vgg16-notop', '--weights', 'none', '--filters', '0', '--steps', '1'];

  it('refuses sizes below the smallest the target needs, naming it', async () => {
    for (const [size, empty] of [
      ['15', ': block4_pool would be 0x0'],
      ['8', ': block4_pool would be 0x0'],
      ['0', ''],
    ]) {
      const out = path.join(dir, `small-${size}`);
      expect(
        await refused('filters', ...vgg, '--layer', 'block5_conv3', '--size', size, '--out', out),
      ).toBe(
        `convscope: --size ${size} is too small for block5_conv3${empty}; the smallest size is 16 (use --size 16 or more)`,
      );
      expect(await exists(out)).toBe(false);
    }
  });

  it('refuses a size whose activations exceed the memory budget, naming the largest', async () => {
    const out = path.join(dir, 'huge');
    expect(
      await refused('filters', ...vgg, '--layer', 'block1_conv1', '--size', '100000', '--out', out),
    ).toMatch(
      /^convscope: --size 100000 is too large: a batch of 1 at 100000 px needs about \d+ GiB up to block1_conv1; 3\.7 GiB of the 4 GiB backend heap is free beside the weights \(use --size 1074 or less\)$/,
    );
    expect(await exists(out)).toBe(false);
  });
});

describe('item 7: options are validated up front', () => {
  it('refuses a backwards range, a fractional step count and a zero batch', async () => {
    const out = path.join(dir, 'backwards');
    expect(await refused('filters', '--filters', '5-2', '--steps', '1', '--out', out)).toBe(
      'convscope: range 5-2 is backwards; did you mean 2-5?',
    );
    expect(await refused('filters', '--steps', '2.5', '--out', out)).toBe(
      "convscope: --steps must be a whole number of at least 1, got '2.5'",
    );
    expect(await exists(out)).toBe(false);
    expect(await refused('predict', '--image', sample, '--batch', '0')).toBe(
      "convscope: --batch must be a positive integer, got '0'",
    );
    expect(await refused('filters', '--batch', '0', '--steps', '1', '--out', out)).toBe(
      "convscope: --batch must be a positive integer or auto, got '0'",
    );
    expect(await exists(out)).toBe(false);
  });

  it('names a bad --fit, a folder given as --image and a non-PNG --out', async () => {
    const out = path.join(dir, 'maps.png');
    expect(await refused('maps', '--image', sample, '--fit', 'stretchy', '--out', out)).toBe(
      "convscope: unknown --fit 'stretchy' (use one of: cover, fill, contain)",
    );
    expect(await refused('maps', '--image', images, '--out', out)).toBe(
      `convscope: ${images} is a folder, not an image (give one image file (predict, evaluate and patches take folders))`,
    );
    expect(await exists(out)).toBe(false);
    const jpeg = path.join(dir, 'maps.jpg');
    expect(await refused('maps', '--image', sample, '--out', jpeg)).toBe(
      `convscope: --out ${jpeg}: convscope writes PNG images only (name the file ${path.join(dir, 'maps')}.png (convert it afterwards if you need JPG))`,
    );
    expect(await exists(jpeg)).toBe(false);
  });

  const patches = (out: string, ...args: string[]) =>
    cli(
      'patches',
      '--images',
      images,
      '--layer',
      'block1_conv1',
      '--filters',
      '0-1',
      '--out',
      out,
      ...args,
    );

  it('patches: skipped files apart from scanned ones, each with its own error; --workers capped', async () => {
    const out = path.join(dir, 'patches-count');
    const { code, stderr, stdout } = await patches(out, '--workers', '64', '--top', '3', '--json');
    expect(code, stderr).toBe(0);
    const cores = availableParallelism();
    if (cores < 64) {
      expect(stderr).toContain(
        `note: --workers 64 is more than the ${cores} cores; using ${cores} (one worker per core)`,
      );
    }
    expect(stderr).toMatch(/^scanned 6 images, skipped 2 that would not decode in /m);
    expect(stderr).toContain(
      `skipped ${path.join(images, 'zz-cut.jpg')}: cannot decode image ${path.join(images, 'zz-cut.jpg')}: VipsJpeg: premature end of JPEG image`,
    );
    expect(stderr).toContain(
      `skipped ${path.join(images, 'zz-cut.png')}: cannot decode image ${path.join(images, 'zz-cut.png')}: vipspng: libpng read error`,
    );
    const manifest = JSON.parse(stdout) as { scanned: number; skipped: unknown[]; workers: number };
    expect(manifest.scanned).toBe(6);
    expect(manifest.skipped).toHaveLength(2);
    expect(manifest.workers).toBeLessThanOrEqual(cores);
  });

  it('patches: a smaller --top into a larger run removes the stale patch PNGs', async () => {
    const out = path.join(dir, 'patches-top');
    expect((await patches(out, '--top', '5', '--deconv')).code).toBe(0);
    const listed = async () => (await readdir(path.join(out, 'block1_conv1'))).sort();
    expect(await listed()).toHaveLength(2 * 5 * 2);
    const { code, stderr } = await patches(out, '--top', '3');
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/reused the saved scan/);
    expect(await listed()).toEqual([
      'c0_0.png',
      'c0_1.png',
      'c0_2.png',
      'c1_0.png',
      'c1_1.png',
      'c1_2.png',
    ]);
  });

  it('patches: a hand-edited index that is valid JSON but wrong is refused, not trusted', async () => {
    const out = path.join(dir, 'patches-index');
    expect((await patches(out, '--top', '3')).code).toBe(0);
    const indexFile = path.join(out, 'patches-index.json');
    const index = JSON.parse(await readFile(indexFile, 'utf8'));
    index.layers.block1_conv1.top[0][0].image = 99;
    await writeFile(indexFile, JSON.stringify(index));
    const manifest = await readFile(path.join(out, 'manifest.json'), 'utf8');
    expect(
      await refused(
        'patches',
        '--images',
        images,
        '--layer',
        'block1_conv1',
        '--filters',
        '0-1',
        '--top',
        '3',
        '--out',
        out,
      ),
    ).toBe(
      `convscope: the saved scan ${indexFile} is damaged: layers.block1_conv1.top[0][0].image is 99, not a file index (0-7) (delete it, or run again with --rescan)`,
    );
    // Nothing was rendered from it, and the index was left for the user to look at.
    expect(await readFile(path.join(out, 'manifest.json'), 'utf8')).toBe(manifest);
    expect(JSON.parse(await readFile(indexFile, 'utf8')).layers.block1_conv1.top[0][0].image).toBe(
      99,
    );
    const again = await patches(out, '--top', '3', '--rescan');
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('item 8: Grad-CAM of a class at the layer --layer names', () => {
  const gradcam = (out: string, ...args: string[]) =>
    cli(
      'attribute',
      '--image',
      sample,
      '--method',
      'gradcam',
      '--class',
      '0',
      '--json',
      '--out',
      out,
      ...args,
    );

  it('--layer with --class explains the class at that layer, as --cam-layer does', async () => {
    const byLayer = await gradcam(path.join(dir, 'cam-layer.png'), '--layer', 'block2_conv1');
    expect(byLayer.code, byLayer.stderr).toBe(0);
    const result = JSON.parse(byLayer.stdout);
    expect(result).toMatchObject({
      method: 'gradcam',
      camLayer: 'block2_conv1',
      target: { kind: 'class', index: 0 },
    });
    const alias = await gradcam(path.join(dir, 'cam-alias.png'), '--cam-layer', 'block2_conv1');
    expect(JSON.parse(alias.stdout)).toMatchObject({
      camLayer: 'block2_conv1',
      min: result.min,
      max: result.max,
    });
    const other = await gradcam(path.join(dir, 'cam-other.png'), '--layer', 'block1_conv2');
    expect(JSON.parse(other.stdout).camLayer).toBe('block1_conv2');
    expect(JSON.parse(other.stdout).max).not.toBe(result.max);
  });

  it('refuses --layer without --filters for methods that have no such layer', async () => {
    const out = path.join(dir, 'guided.png');
    expect(
      await refused(
        'attribute',
        '--image',
        sample,
        '--method',
        'gradcam,guided',
        '--layer',
        'block2_conv1',
        '--class',
        '0',
        '--out',
        out,
      ),
    ).toBe(
      'convscope: --layer without --filters is the layer Grad-CAM explains at; guided has no such layer (for a unit: --layer block2_conv1 --filters K; for a class: --class C without --layer)',
    );
    expect(
      await refused(
        'attribute',
        '--image',
        sample,
        '--method',
        'gradcam',
        '--layer',
        'block2_conv1',
        '--cam-layer',
        'block1_conv1',
        '--out',
        out,
      ),
    ).toBe(
      "convscope: --layer block2_conv1 and --cam-layer block1_conv1 both name Grad-CAM's layer (give one of them)",
    );
    expect(await exists(out)).toBe(false);
  });
});
