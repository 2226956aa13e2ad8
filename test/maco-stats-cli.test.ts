/**
 * The CLI's image statistics and MACO: every manifest item carries `stats`, `--stats` prints
 * the one-line summary, `--preset maco --alpha` writes PNGs with a transparency channel and
 * records the magnitude spectrum it used (the embedded model's samples are Fashion-MNIST).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

interface Item {
  file: string;
  stats: {
    saturated: number;
    highFrequency: number;
    objective: number;
    objectiveWithTransforms?: number;
  };
}

describe('filters --stats and --preset maco', () => {
  it('records stats per item and prints the summary line (lucid)', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'stats-'));
    const result = await cli(
      ...[
        'filters',
        '--layer',
        'block1_conv2',
        '--filters',
        '0-1',
        '--steps',
        '4',
        '--stats',
        '--workers',
        '1',
        '--out',
        out,
        '--quiet',
      ],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /stats lucid \(2 images, 4 steps\): saturated \d+\.\d%, high-frequency \d+\.\d%, objective [-\d.e]+, with transforms [-\d.e]+/,
    );
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      items: Item[];
    };
    for (const item of manifest.items) {
      expect(item.stats.saturated).toBeGreaterThanOrEqual(0);
      expect(item.stats.saturated).toBeLessThanOrEqual(1);
      expect(item.stats.highFrequency).toBeGreaterThan(0);
      expect(item.stats.highFrequency).toBeLessThan(1);
      expect(typeof item.stats.objectiveWithTransforms).toBe('number');
      expect(item.stats.objectiveWithTransforms).not.toBe(item.stats.objective);
    }
  });

  it('maco with --alpha: PNGs with an alpha channel, the spectrum in the manifest', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'maco-'));
    const result = await cli(
      ...[
        'filters',
        '--layer',
        'block2_conv1',
        '--filters',
        '0-1',
        '--preset',
        'maco',
        '--steps',
        '8',
        '--alpha',
        '--workers',
        '1',
        '--out',
        out,
        '--quiet',
      ],
    );
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      items: Item[];
      settings: {
        parameterization: { kind: string; spectrum: { source: string; exponent: number } };
      };
    };
    expect(manifest.settings.parameterization.kind).toBe('maco');
    expect(manifest.settings.parameterization.spectrum.source).toMatch(
      /samples\/fashion-mnist \(64 images\)/,
    );
    expect(manifest.settings.parameterization.spectrum.exponent).toBeGreaterThan(0.5);
    const { info, data } = await sharp(path.join(out, manifest.items[0].file))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    const alphas = new Set(
      Array.from({ length: info.width * info.height }, (_, i) => data[i * 4 + 3]),
    );
    expect(alphas.size).toBeGreaterThan(2);
  });

  it('refuses --alpha without MACO', async () => {
    const result = await cli(
      ...[
        'filters',
        '--layer',
        'block1_conv2',
        '--filters',
        '0',
        '--steps',
        '2',
        '--alpha',
        '--out',
        await mkdtemp(path.join(os.tmpdir(), 'x-')),
      ],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--alpha applies to MACO only/);
  });
});
