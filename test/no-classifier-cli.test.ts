/**
 * A model whose output is a feature map (VGG16 without its top) has no classes: every command
 * that needs class scores says so in one line with exit 1, instead of printing activations as
 * percentages, crashing, or explaining an arbitrary channel as a "class".
 */
import path from 'node:path';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const notop = ['--model', 'vgg16-notop', '--weights', 'none'];
const image = path.resolve('samples/inputs/bag.png');
const out = (name: string) =>
  path.join(os.tmpdir(), `convscope-no-classifier-${process.pid}-${name}`);
const because =
  "but vgg16-notop has no classifier: its output 'block5_pool' is a 7x7x512 feature map (use a model with its classifier";

describe('models without a classifier', () => {
  it('predict, evaluate, classes and class attributions refuse in one line', async () => {
    const runs = await Promise.all([
      cli('predict', '--image', image, ...notop),
      cli(
        'evaluate',
        '--images',
        path.resolve('samples/fashion-mnist'),
        '--out',
        out('cm.png'),
        ...notop,
      ),
      cli(
        'classes',
        '--class',
        '0',
        '--steps',
        '1',
        '--size',
        '32',
        '--out',
        out('classes'),
        ...notop,
      ),
      cli('attribute', '--image', image, '--method', 'gradcam', '--out', out('a.png'), ...notop),
      cli(
        'attribute',
        '--image',
        image,
        '--method',
        'saliency',
        '--class',
        '3',
        '--out',
        out('b.png'),
        ...notop,
      ),
    ]);
    const what = [
      'predict',
      'evaluate',
      'classes',
      'an attribution without --layer/--filter',
      'a class target',
    ];
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('note:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`convscope: ${what[i]}`);
      expect(lines[0]).toContain(because);
    });
  });

  it('still shows its units', async () => {
    const run = await cli(
      'attribute',
      '--image',
      image,
      '--method',
      'guided',
      '--layer',
      'block1_conv2',
      '--filter',
      '3',
      '--out',
      out('c.png'),
      '--json',
      ...notop,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).target).toMatchObject({
      kind: 'unit',
      layer: 'block1_conv2',
      channel: 3,
    });
  });
});
