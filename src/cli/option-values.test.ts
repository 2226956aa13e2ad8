import { afterEach, describe, expect, it, vi } from 'vitest';
import { attributeFlags } from './attribute-flags.js';
import { FITS, choice, pngOut, positiveInt, workerCount } from './option-values.js';

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
  it("--layer alone is Grad-CAM's layer; with --filter, a unit", () => {
    expect(attributeFlags({ layer: 'b3', class: '0' }, ['gradcam'])).toEqual({ camLayer: 'b3' });
    expect(attributeFlags({ layer: 'b3', camLayer: 'b3' }, ['gradcam'])).toEqual({
      camLayer: 'b3',
    });
    expect(attributeFlags({ class: '0', camLayer: 'b2' }, ['gradcam', 'guided'])).toEqual({
      camLayer: 'b2',
    });
    expect(attributeFlags({ layer: 'b3', filter: '5' }, ['guided', 'gradcam'])).toEqual({
      unit: { layer: 'b3', filter: 5 },
      camLayer: undefined,
    });
  });

  it('refuses combinations without a meaning', () => {
    expect(() => attributeFlags({ filter: '5' }, ['guided'])).toThrow('--filter needs --layer');
    expect(() => attributeFlags({ layer: 'b3', filter: '5', class: '1' }, ['guided'])).toThrow(
      'give either --layer/--filter (a unit) or --class, not both',
    );
    expect(() => attributeFlags({ layer: 'b3', class: '0' }, ['saliency', 'smoothgrad'])).toThrow(
      '--layer without --filter is the layer Grad-CAM explains at; saliency, smoothgrad have no such layer',
    );
    expect(() => attributeFlags({ layer: 'b3', camLayer: 'b2' }, ['gradcam'])).toThrow(
      "--layer b3 and --cam-layer b2 both name Grad-CAM's layer",
    );
    expect(() => attributeFlags({ layer: 'b3', filter: '1.5' }, ['guided'])).toThrow(
      "--filter must be an integer, got '1.5'",
    );
  });
});
