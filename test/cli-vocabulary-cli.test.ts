/**
 * Issue 19, "one vocabulary on the command line", through the compiled CLI: one name per idea
 * with the old spellings as aliases, a default `--out` per command that is said when written,
 * parse errors in convscope's one-line format, `--seed` only where something is random, a
 * default `--class`, and every option that would be ignored refused with one line.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliIn } from './helpers/cli.js';

let dir: string;
let images: string;
const sneaker = path.resolve('samples/inputs/sneaker.png');
const bag = path.resolve('samples/inputs/bag.png');
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-vocabulary-'));
  images = path.join(dir, 'images');
  await mkdir(images);
  for (const file of [sneaker, bag]) await copyFile(file, path.join(images, path.basename(file)));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** A command that must fail: exit 1, one line on stderr, nothing on stdout. */
async function refused(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await cli(...args);
  expect(code, stderr).toBe(1);
  expect(stdout).toBe('');
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
  return stderr.trimEnd();
}

describe('parse errors in one line', () => {
  it('names a missing required option, an unknown option and a missing value', async () => {
    expect(await refused('weights')).toBe(
      'convscope: weights needs --layer <name> (run `convscope weights --help` for the options)',
    );
    expect(await refused('predict')).toBe(
      'convscope: predict needs --images <path...> (run `convscope predict --help` for the options)',
    );
    expect(await refused('weights', '--layer', 'block1_conv1', '--fitlers', '0')).toBe(
      'convscope: weights has no option --fitlers (did you mean --filters?)',
    );
    expect(await refused('maps', '--image', sneaker, '--bogus')).toBe(
      'convscope: maps has no option --bogus (run `convscope maps --help` for the options)',
    );
    expect(await refused('predict', '--images', sneaker, '--top')).toBe(
      'convscope: --top <k> needs a value (run `convscope predict --help` for the options)',
    );
    expect(await refused('frobnicate')).toMatch(/^convscope: unknown command 'frobnicate' \(/);
  });

  it('refuses --seed where nothing is random, and --help shows it only where it is', async () => {
    for (const command of ['layers', 'predict', 'weights']) {
      const args = {
        layers: [],
        predict: ['--images', sneaker],
        weights: ['--layer', 'block1_conv1'],
      };
      expect(await refused(command, ...args[command as keyof typeof args], '--seed', '1')).toBe(
        `convscope: ${command} takes no --seed: nothing in it is random (leave --seed out)`,
      );
      expect((await cli(command, '--help')).stdout).not.toContain('--seed');
    }
    for (const command of ['filters', 'classes', 'attribute']) {
      expect((await cli(command, '--help')).stdout).toContain('--seed <n>');
    }
  });
});

describe('one name per idea, old spellings as aliases', () => {
  it('--help shows the new names, says the list and names the aliases', async () => {
    const filters = (await cli('filters', '--help')).stdout;
    expect(filters).toMatch(/--layer <names>\s+layers, comma-separated/);
    const maps = (await cli('maps', '--help')).stdout;
    expect(maps).toMatch(/--filters <spec>/);
    expect(maps).toMatch(/alias\s+--channels: the old name/);
    expect(maps).not.toMatch(/^\s+--channels <spec>/m);
    const attribute = (await cli('attribute', '--help')).stdout;
    expect(attribute).toMatch(/--filters <spec>/);
    expect(attribute).not.toMatch(/^\s+--filter <k>/m);
    expect((await cli('predict', '--help')).stdout).toMatch(/--images <path\.\.\.>/);
  });

  it('maps --channels is --filters; giving both is refused', async () => {
    const maps = (...args: string[]) =>
      cli('maps', '--image', sneaker, '--layer', 'block2_conv1', '--json', ...args);
    const byNew = await maps('--filters', '1,4', '--out', path.join(dir, 'new.png'));
    const byOld = await maps('--channels', '1,4', '--out', path.join(dir, 'old.png'));
    expect(byNew.code, byNew.stderr).toBe(0);
    expect(byOld.code, byOld.stderr).toBe(0);
    const channels = (r: { stdout: string }) =>
      JSON.parse(r.stdout).layers[0].channels.map((c: { index: number }) => c.index);
    expect(channels(byNew)).toEqual([1, 4]);
    expect(channels(byOld)).toEqual([1, 4]);
    expect(
      await refused(
        'maps',
        '--image',
        sneaker,
        '--filters',
        '1',
        '--channels',
        '2',
        '--out',
        'x.png',
      ),
    ).toBe(
      'convscope: --channels is another name for --filters; give only one of them (e.g. --filters alone)',
    );
  });

  it('attribute --filter K is --filters K; predict and patches take --image or --images', async () => {
    const unit = (flag: string) =>
      cli(
        'attribute',
        '--image',
        sneaker,
        '--method',
        'guided',
        '--layer',
        'block2_conv1',
        flag,
        '3',
        '--out',
        path.join(dir, `unit${flag}.png`),
        '--json',
      );
    const [old, now] = [
      JSON.parse((await unit('--filter')).stdout),
      JSON.parse((await unit('--filters')).stdout),
    ];
    expect(now.target).toEqual({ kind: 'unit', layer: 'block2_conv1', channel: 3 });
    expect([old.target, old.min, old.max]).toEqual([now.target, now.min, now.max]);
    const one = JSON.parse((await cli('predict', '--image', sneaker, bag, '--json')).stdout);
    const many = JSON.parse((await cli('predict', '--images', sneaker, bag, '--json')).stdout);
    expect(many.map((r: { top: { label: string }[] }) => r.top[0].label)).toEqual([
      'Sneaker',
      'Bag',
    ]);
    expect(one).toEqual(many);
    const patches = await cli(
      'patches',
      '--image',
      images,
      '--layer',
      'block1_conv1',
      '--filters',
      '0',
      '--top',
      '1',
      '--workers',
      '1',
      '--out',
      path.join(dir, 'patches'),
      '--json',
      '--quiet',
    );
    expect(patches.code, patches.stderr).toBe(0);
    expect(JSON.parse(patches.stdout).scanned).toBe(2);
  });
});

describe('default --out, and what was written is said', () => {
  it('weights, maps, attribute, patches, evaluate and layers write <command>-out', async () => {
    const cwd = path.join(dir, 'defaults');
    await mkdir(cwd);
    const runs: [string[], string][] = [
      [['weights', '--layer', 'block1_conv1'], 'weights-out.png'],
      [['maps', '--image', sneaker], 'maps-out.png'],
      [['attribute', '--image', sneaker, '--method', 'saliency'], 'attribute-out.png'],
      [
        [
          'patches',
          '--images',
          images,
          '--layer',
          'block1_conv1',
          '--filters',
          '0',
          '--top',
          '1',
          '--workers',
          '1',
        ],
        path.join('patches-out', 'block1_conv1.png'),
      ],
      [['evaluate', '--images', path.resolve('samples/fashion-mnist')], 'evaluate-out.png'],
      [['layers', '--image', sneaker, '--layer', 'block2_conv1'], 'layers-out.png'],
    ];
    for (const [args, file] of runs) {
      const { code, stdout, stderr } = await cliIn(cwd, ...args);
      expect(code, stderr).toBe(0);
      expect(`${stdout}${stderr}`).toContain(file);
      expect((await sharp(path.join(cwd, file)).metadata()).format).toBe('png');
    }
    expect((await readdir(cwd)).sort()).toEqual([
      'attribute-out.png',
      'evaluate-out.png',
      'layers-out.png',
      'maps-out.png',
      'patches-out',
      'weights-out.png',
    ]);
  });

  it('predict --out says what it wrote', async () => {
    const out = path.join(dir, 'predictions.png');
    const { code, stdout, stderr } = await cli('predict', '--images', sneaker, bag, '--out', out);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe(`wrote ${out}\n`);
    expect(stdout.trim().split('\n')).toHaveLength(2);
    expect(await exists(out)).toBe(true);
    expect((await cli('predict', '--images', sneaker, '--out', out, '--quiet')).stderr).toBe('');
  });
});

describe('classes and attribute take class lists', () => {
  it('classes without --class draws the first ten classes, as --help says', async () => {
    expect((await cli('classes', '--help')).stdout).toMatch(/default: the first 10 \(0-9/);
    const out = path.join(dir, 'classes');
    const { code, stdout, stderr } = await cli(
      'classes',
      '--steps',
      '1',
      '--workers',
      '1',
      '--out',
      out,
      '--json',
      '--quiet',
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).items.map((i: { index: number }) => i.index)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('attribute --class SPEC gives a row per class and a result per class and method', async () => {
    const one = path.join(dir, 'one-class.png');
    const two = path.join(dir, 'two-classes.png');
    const single = await cli(
      'attribute',
      '--image',
      sneaker,
      '--method',
      'guided,gradcam',
      '--class',
      'Sneaker',
      '--out',
      one,
      '--json',
    );
    const several = await cli(
      'attribute',
      '--image',
      sneaker,
      '--method',
      'guided,gradcam',
      '--class',
      'Sneaker,Bag',
      '--out',
      two,
      '--json',
    );
    expect(several.code, several.stderr).toBe(0);
    const results = JSON.parse(several.stdout) as { method: string; target: { index: number } }[];
    expect(results.map((r) => [r.method, r.target.index])).toEqual([
      ['guided', 7],
      ['gradcam', 7],
      ['guided', 8],
      ['gradcam', 8],
    ]);
    // The first class's row is the same as the class alone (only the file differs).
    const firstRow = results.slice(0, 2).map((r) => ({ ...r, out: one }));
    expect(firstRow).toEqual(JSON.parse(single.stdout));
    const [a, b] = [await sharp(one).metadata(), await sharp(two).metadata()];
    expect(b.height!).toBeGreaterThan(1.8 * a.height! - 40);
  });
});

describe('an option that would be ignored is an error', () => {
  const attribute = ['attribute', '--image', sneaker, '--out', 'never.png'];

  it('attribute: --position with a class, SmoothGrad and Grad-CAM options elsewhere', async () => {
    expect(
      await refused(...attribute, '--method', 'guided', '--class', '0', '--position', 'max'),
    ).toBe(
      "convscope: --position picks a place in a unit's activation map; a class target has none (explain a unit with --layer L --filters K --position ..., or leave --position out)",
    );
    expect(await refused(...attribute, '--method', 'saliency', '--position', '3,4')).toMatch(
      /a class target has none/,
    );
    expect(await refused(...attribute, '--method', 'guided', '--samples', '3', '--seed', '2')).toBe(
      'convscope: --samples, --seed apply to smoothgrad only, and --method is guided (add smoothgrad to --method, or leave --samples, --seed out)',
    );
    expect(
      await refused(...attribute, '--method', 'deconvnet', '--cam-layer', 'block2_conv1'),
    ).toBe(
      "convscope: --cam-layer is Grad-CAM's layer; deconvnet has none (add gradcam to --method, or leave --cam-layer out)",
    );
    expect(await exists('never.png')).toBe(false);
  });

  it('model options, weights --columns on slices and layers --out without --image', async () => {
    expect(await refused('layers', '--weights', 'none')).toBe(
      'convscope: --weights applies to zoo models (vgg16, vgg16-notop, vgg19, vgg19-notop), not to embedded (leave --weights out: this model brings its own weights)',
    );
    expect(await refused('layers', '--engine', 'tfjs', '--threads', '2')).toBe(
      "convscope: --threads sets ONNX Runtime's threads; --engine tfjs does not use them (leave --threads out, or use --engine auto or onnx)",
    );
    const out = path.join(dir, 'slices.png');
    expect(
      await refused('weights', '--layer', 'block2_conv1', '--columns', '4', '--out', out),
    ).toBe(
      'convscope: --columns does not apply to slices (one row per filter, a tile per input channel) (leave --columns out, or use --input-channels mean for one tile per filter)',
    );
    expect(await exists(out)).toBe(false);
    expect(await refused('layers', '--out', out)).toMatch(
      /^convscope: --out is where --image draws/,
    );
  });

  it('maps names a folder given as the image and a bad --fit value, not the image', async () => {
    expect(await refused('maps', '--image', images, '--out', 'x.png')).toBe(
      `convscope: ${images} is a folder, not an image (give one image file (predict, evaluate and patches take folders))`,
    );
    expect(await refused('maps', '--image', sneaker, '--fit', 'squash', '--out', 'x.png')).toBe(
      "convscope: unknown --fit 'squash' (use one of: cover, fill, contain)",
    );
  });
});
