/**
 * The sample images the workbench offers (`GET /api/samples`), served from the package's
 * `samples/` folder under `/samples/`: the hand-picked gray `samples/inputs/*.png` (labelled
 * from the file name, matched to the embedded model's class names where one fits, so
 * `ankle-boot.png` reads "Ankle boot"), the 1,000 gray Fashion-MNIST test images listed in
 * `samples/fashion-mnist/index.json`, and the RGB photos in `samples/photos/` (credits in its
 * README). Each entry says its channels, so the page offers gray samples to gray models and
 * photos to RGB ones. A missing folder just means no samples. The list is read once and kept:
 * the package's files do not change while the server runs.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SampleEntry } from '../core/server-api.js';

export type { SampleEntry };

interface FashionIndexEntry {
  file: string;
  label: number;
  name: string;
  testIndex: number;
}

const squash = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch(() => null);
  return text === null ? undefined : (JSON.parse(text) as unknown);
}

async function inputSamples(dir: string, labels: string[]): Promise<SampleEntry[]> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.toLowerCase().endsWith('.png') && !n.startsWith('.'))
    .sort();
  return names.map((file) => {
    const stem = file.slice(0, -'.png'.length);
    const label = labels.find((l) => squash(l) === squash(stem)) ?? stem;
    return {
      name: stem,
      url: `/samples/inputs/${encodeURIComponent(file)}`,
      label,
      group: 'inputs',
      channels: 1 as const,
    };
  });
}

async function fashionSamples(dir: string): Promise<SampleEntry[]> {
  const index = await readJson(path.join(dir, 'index.json'));
  if (!Array.isArray(index)) return [];
  return (index as FashionIndexEntry[])
    .filter((e) => typeof e.file === 'string' && !/[/\\]/.test(e.file))
    .map((e) => ({
      name: e.file.replace(/\.png$/i, ''),
      url: `/samples/fashion-mnist/${encodeURIComponent(e.file)}`,
      ...(typeof e.name === 'string' ? { label: e.name } : {}),
      group: 'fashion-mnist',
      channels: 1 as const,
    }));
}

async function photoSamples(dir: string): Promise<SampleEntry[]> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => /\.(png|jpe?g)$/i.test(n) && !n.startsWith('.'))
    .sort();
  return names.map((file) => ({
    name: file.replace(/\.[^.]+$/, ''),
    url: `/samples/photos/${encodeURIComponent(file)}`,
    group: 'photos',
    channels: 3 as const,
  }));
}

/**
 * A memoized lister of the samples under `samplesDir`; `labelsFile` names the class names that
 * `inputs/` file names are matched to (the embedded model's labels.json).
 *
 * @example const samples = sampleLister(path.join(PACKAGE_ROOT, 'samples'), labelsFile);
 */
export function sampleLister(samplesDir: string, labelsFile: string): () => Promise<SampleEntry[]> {
  let cached: Promise<SampleEntry[]> | undefined;
  const read = async () => {
    const labels = await readJson(labelsFile).catch(() => undefined);
    const names = Array.isArray(labels) ? labels.map(String) : [];
    return [
      ...(await inputSamples(path.join(samplesDir, 'inputs'), names)),
      ...(await fashionSamples(path.join(samplesDir, 'fashion-mnist'))),
      ...(await photoSamples(path.join(samplesDir, 'photos'))),
    ];
  };
  return () => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
