/**
 * Full-size torchvision models (random weights), exported at test time with the machine's
 * PyTorch (Debian's python3-torch and python3-torchvision; skipped where they are missing), run
 * end to end from the CLI: `filters` on a deep layer and `patches` over the sample photos. These
 * are the models people bring; the fixtures test the numbers, this tests the scale (VGG16's
 * 528 MB file, ResNet-18's residual stages, MobileNetV2's depthwise blocks at 224 px).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

/** A Python that has torch and torchvision, or undefined. */
function findPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const python = findPython();
const MODELS = [
  { name: 'resnet18', layer: 'layer4', resolved: 'layer4.1.relu_1', channels: 512 },
  // Deeper, a random MobileNetV2's activations fade to ~1e-10 (in PyTorch too).
  {
    name: 'mobilenet_v2',
    layer: 'features.7.conv.0',
    resolved: 'features.7.conv.0.2',
    channels: 192,
  },
  { name: 'vgg16', layer: 'features.28', resolved: 'features.28', channels: 512 },
];
let dir: string;

describe.skipIf(!python)('torchvision models exported to ONNX', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-torchvision-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe.each(MODELS)('$name', ({ name, layer, resolved, channels }) => {
    const file = () => path.join(dir, `${name}.onnx`);
    beforeAll(() => {
      execFileSync(python!, ['scripts/export-torchvision.py', name, file()], { stdio: 'ignore' });
    }, 300_000);

    it('runs filters on a deep layer, named by its module path, on ONNX Runtime', async () => {
      const out = path.join(dir, `${name}-filters`);
      const args = [
        'filters',
        '--model',
        file(),
        '--layer',
        layer,
        '--filters',
        '0-1',
        '--steps',
        '6',
        // True gradients from the first step: redirected ReLU lowers these units at first.
        '--redirect-steps',
        '0',
      ];
      const { code, stdout, stderr } = await cli(...args, '--out', out, '--json', '--quiet');
      expect(code, stderr).toBe(0);
      const manifest = JSON.parse(stdout);
      expect(manifest).toMatchObject({ layer: resolved, engine: 'onnx', size: 224 });
      expect(manifest.items).toHaveLength(2);
      for (const item of manifest.items) {
        expect(item.activation.final).toBeGreaterThan(item.activation.initial * 1.2);
        const meta = await sharp(path.join(out, item.file)).metadata();
        expect([meta.width, meta.height]).toEqual([224, 224]);
      }
    }, 300_000);

    it('runs patches over the sample photos', async () => {
      const out = path.join(dir, `${name}-patches`);
      const args = ['patches', '--model', file(), '--images', 'samples/photos', '--layer', layer];
      const { code, stderr } = await cli(
        ...args,
        '--filters',
        '0-1',
        '--top',
        '2',
        '--out',
        out,
        '--quiet',
      );
      expect(code, stderr).toBe(0);
      const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({ layer: resolved, engine: 'onnx', scanned: 4 });
      expect(manifest.filters).toHaveLength(2);
      expect(manifest.filters[0].top).toHaveLength(2);
      expect(manifest.filters[0].top[0].activation).toBeGreaterThanOrEqual(
        manifest.filters[0].top[1].activation,
      );
    }, 300_000);

    it('takes torchvision preprocessing at 224 px and names the layer with its channels', async () => {
      const { code, stdout } = await cli('layers', '--model', file(), '--layer', layer, '--json');
      expect(code).toBe(0);
      const result = JSON.parse(stdout);
      expect(result.input.preprocess).toBe('torch');
      expect(result.inputShape).toEqual([224, 224, 3]);
      expect(result.layers[0]).toMatchObject({ name: resolved, channels });
    }, 300_000);
  });
});
