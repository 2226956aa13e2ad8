/**
 * Turns the CLI's model options (`--model`, `--weights`, `--arch`, `--input-range`,
 * `--preprocess`) into a VisModel: the embedded default, a zoo architecture, or any TF.js
 * layers model by path or URL (with `labels.json` beside it when present).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConvscopeError } from '../core/errors.js';
import { buildVgg, type VGG_BLOCKS } from '../core/models/architectures/vgg.js';
import { parseInputRange, type InputSpec, type PreprocessMode } from '../core/models/input-spec.js';
import { VisModel } from '../core/models/vis-model.js';
import { isUrl, loadLayersModel } from './load-layers-model.js';

export interface ModelOptions {
  model?: string;
  weights?: string;
  arch?: string;
  inputRange?: string;
  preprocess?: string;
}

/** The package root (this file is src/node/*.ts or dist/node/*.js). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EMBEDDED_DIR = path.join(PACKAGE_ROOT, 'models', 'embedded');

export const ZOO_NAMES = ['vgg16', 'vgg16-notop', 'vgg19', 'vgg19-notop'] as const;

async function readLabels(file: string): Promise<string[] | undefined> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return undefined;
  const labels = JSON.parse(text) as unknown;
  return Array.isArray(labels) ? labels.map(String) : undefined;
}

function inputOverrides(options: ModelOptions): Partial<InputSpec> {
  const overrides: Partial<InputSpec> = {};
  if (options.inputRange) overrides.range = parseInputRange(options.inputRange);
  if (options.preprocess) overrides.preprocess = options.preprocess as PreprocessMode;
  return overrides;
}

function openZoo(name: string, options: ModelOptions): VisModel {
  if (options.weights !== 'none') {
    throw new ConvscopeError(
      `pretrained weights for ${name} are not available in this version`,
      `use --weights none for the architecture with random weights`,
    );
  }
  const [variant, top] = name.split('-') as [keyof typeof VGG_BLOCKS, string | undefined];
  const model = buildVgg(variant, { includeTop: top !== 'notop', seed: 0 });
  return new VisModel(model, { name, input: { preprocess: 'caffe', ...inputOverrides(options) } });
}

/** Opens the model named by the options (default: the embedded model). */
export async function openModel(options: ModelOptions = {}): Promise<VisModel> {
  const spec = options.model ?? 'embedded';
  if ((ZOO_NAMES as readonly string[]).includes(spec)) return openZoo(spec, options);
  if (spec.toLowerCase().endsWith('.h5')) {
    throw new ConvscopeError(
      `reading Keras .h5 files is not supported in this version: ${spec}`,
      'convert it with `tensorflowjs_converter --input_format keras` and pass the model.json',
    );
  }
  const location = spec === 'embedded' ? EMBEDDED_DIR : spec;
  const model = await loadLayersModel(location);
  const labelsFile = isUrl(location)
    ? null
    : path.join(location.endsWith('.json') ? path.dirname(location) : location, 'labels.json');
  const labels = labelsFile ? await readLabels(labelsFile) : undefined;
  return new VisModel(model, { name: spec, labels, input: inputOverrides(options) });
}
