import { afterEach, describe, expect, it, vi } from 'vitest';
import { attributeFlags } from './attribute-flags.js';
import { FITS, choice, intOption, pngOut, positiveInt, workerCount } from './option-values.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('option values', () => {
  it('positiveInt refuses zero, fractions and empty text', () => {
    expect(positiveInt('3', '--batch')).toBe(3);
    expect(positiveInt(undefined, '--batch')).toBeUndefined();
    for (const bad of ['0', '2.5', '', '-1', 'x']) {
      expect(() => positiveInt(bad, '--batch')).toThrow(
        `--batch must be a positive integer, got '${bad}'`,
      );
    }
  });

  it('intOption takes positive, non-negative or any whole numbers, naming what else fits', () => {
    expect(intOption('0', '--history', 'non-negative')).toBe(0);
    expect(intOption('-7', '--seed', 'any')).toBe(-7);
    expect(intOption(5, '--top')).toBe(5);
    expect(() => intOption('-1', '--history', 'non-negative')).toThrow(
      "--history must be a non-negative integer, got '-1'",
    );
    expect(() => intOption('1.5', '--seed', 'any')).toThrow("--seed must be an integer, got '1.5'");
    expect(() => intOption(' ', '--seed', 'any')).toThrow("--seed must be an integer, got ' '");
    expect(() => intOption('0', '--batch', 'positive', 'auto')).toThrow(
      "--batch must be a positive integer or auto, got '0'",
    );
  });

  it('choice lists the accepted words', () => {
    expect(choice('fill', FITS, '--fit')).toBe('fill');
    expect(() => choice('stretchy', FITS, '--fit')).toThrow("unknown --fit 'stretchy'");
  });

  it('workerCount caps at the cores with a note on stderr', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(workerCount('2', { cores: 2 })).toBe(2);
    expect(write).not.toHaveBeenCalled();
    expect(workerCount('64', { cores: 2 })).toBe(2);
    expect(write).toHaveBeenCalledWith(
      'note: --workers 64 is more than the 2 cores; using 2 (one worker per core)\n',
    );
    expect(workerCount('64', { cores: 2, quiet: true })).toBe(2);
    expect(write).toHaveBeenCalledTimes(1);
    expect(() => workerCount('0', { cores: 2 })).toThrow(
      "--workers must be a positive integer or auto, got '0'",
    );
  });

  it('pngOut accepts .png only', () => {
    expect(pngOut('a/b.PNG')).toBe('a/b.PNG');
    expect(() => pngOut('x.jpg')).toThrow('--out x.jpg: convscope writes PNG images only');
    expect(() => pngOut('x')).toThrow('--out x: convscope writes PNG images only');
  });
});

describe('attributeFlags', () => {
  it("--layer alone is Grad-CAM's layer; with --filters, units", () => {
    expect(attributeFlags({ layer: 'b3', class: '0' }, ['gradcam'])).toEqual({ camLayer: 'b3' });
    expect(attributeFlags({ layer: 'b3', camLayer: 'b3' }, ['gradcam'])).toEqual({
      camLayer: 'b3',
    });
    expect(attributeFlags({ class: '0', camLayer: 'b2' }, ['gradcam', 'guided'])).toEqual({
      camLayer: 'b2',
    });
    expect(attributeFlags({ layer: 'b3', filters: '5,7' }, ['guided', 'gradcam'])).toEqual({
      unit: { layer: 'b3', channels: '5,7' },
      camLayer: undefined,
    });
    expect(
      attributeFlags(
        { layer: 'b3', filters: '1', position: 'max' },
        ['smoothgrad'],
        new Set(['seed']),
      ),
    ).toEqual({ unit: { layer: 'b3', channels: '1' }, camLayer: undefined });
  });

  it('refuses combinations without a meaning', () => {
    expect(() => attributeFlags({ filters: '5' }, ['guided'])).toThrow('--filters needs --layer');
    expect(() => attributeFlags({ layer: 'b3', filters: '5', class: '1' }, ['guided'])).toThrow(
      'give either --layer/--filters (units) or --class, not both',
    );
    expect(() => attributeFlags({ layer: 'b3', class: '0' }, ['saliency', 'smoothgrad'])).toThrow(
      '--layer without --filters is the layer Grad-CAM explains at; saliency, smoothgrad have no such layer',
    );
    expect(() => attributeFlags({ layer: 'b3', camLayer: 'b2' }, ['gradcam'])).toThrow(
      "--layer b3 and --cam-layer b2 both name Grad-CAM's layer",
    );
  });

  it('refuses options the chosen target or methods would ignore', () => {
    expect(() => attributeFlags({ class: '0', position: 'max' }, ['guided'])).toThrow(
      "--position picks a place in a unit's activation map; a class target has none",
    );
    expect(() => attributeFlags({ position: '1,2' }, ['saliency'])).toThrow(
      /class target has none/,
    );
    expect(() => attributeFlags({ camLayer: 'b2' }, ['guided'])).toThrow(
      "--cam-layer is Grad-CAM's layer; guided has none",
    );
    expect(() => attributeFlags({}, ['guided', 'saliency'], new Set(['samples', 'seed']))).toThrow(
      '--samples, --seed apply to smoothgrad only, and --method is guided,saliency',
    );
    expect(attributeFlags({}, ['smoothgrad'], new Set(['noise']))).toEqual({
      camLayer: undefined,
    });
  });
});
