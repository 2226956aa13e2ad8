/**
 * Where MACO's fixed magnitude comes from on the command line: `--spectrum-images DIR`, else
 * the package's sample images that match the model's channels (gray: Fashion-MNIST, RGB: the
 * photos; the same split as the workbench's samples), else the power law 1/f. At most 64
 * images, fitted to the model input as `predict` fits them.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { VisModel } from '../core/models/vis-model.js';
import { colorDecorrelationMatrix } from '../core/parameterizations/fourier.js';
import {
  powerLawSpectrum,
  spectrumFromImages,
  type MacoSpectrum,
} from '../core/parameterizations/maco-spectrum.js';
import { expandImagePaths, loadImage } from './images.js';
import { PACKAGE_ROOT } from './open-model.js';

const MAX_IMAGES = 64;

/** Inverse of a 3x3 matrix (adjugate over determinant). */
function inverse3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

async function sampleFiles(channels: number): Promise<{ files: string[]; source: string }> {
  const folder = channels === 1 ? 'fashion-mnist' : channels === 3 ? 'photos' : null;
  if (!folder) return { files: [], source: '' };
  const dir = path.join(PACKAGE_ROOT, 'samples', folder);
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names
    .filter((n) => /\.(png|jpe?g)$/i.test(n))
    .sort()
    .slice(0, MAX_IMAGES)
    .map((n) => path.join(dir, n));
  return { files, source: `samples/${folder}` };
}

/**
 * The spectrum for MACO runs of `model`.
 * @example settings.parameterization.spectrum = await macoSpectrum(model, options.spectrumImages)
 */
export async function macoSpectrum(model: VisModel, dir?: string): Promise<MacoSpectrum> {
  const { height, width, channels } = model.input;
  const { files, source } = dir
    ? { files: (await expandImagePaths([dir])).slice(0, MAX_IMAGES), source: dir }
    : await sampleFiles(channels);
  if (files.length === 0) return powerLawSpectrum(channels);
  const images = [];
  for (const file of files) images.push(await loadImage(file, { height, width, channels }));
  const colour = channels === 3 ? inverse3(colorDecorrelationMatrix()) : null;
  return spectrumFromImages(
    images,
    height,
    width,
    channels,
    colour,
    `${source} (${files.length} images)`,
  );
}
