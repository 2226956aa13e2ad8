/**
 * Turns the CLI's model options (`--model`, `--weights`, `--arch`, `--input-range`,
 * `--preprocess`) into a VisModel: the embedded default, a zoo model (downloaded, verified and
 * converted once into the cache, or random weights with `--weights none`), a Keras `.h5`
 * weights file with `--arch`, a Keras model with its architecture (`.h5` from `model.save()`,
 * `.keras` archive), or any TF.js layers model by path or URL (with `labels.json`
 * beside it when present). Zoo and `.h5` models carry their own preprocessing and labels.
 */
import type * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConvscopeError, listForMessage } from '../core/errors.js';
import { parseInputRange, type InputSpec, type PreprocessMode } from '../core/models/input-spec.js';
import { VisModel } from '../core/models/vis-model.js';
import { ZOO, buildZooArchitecture, findZooRecord, type ZooRecord } from '../core/models/zoo.js';
import { zooRecords, type Env } from './cache/cache-paths.js';
import { ensureLabels, ensureZooModel, labelsEntryName } from './cache/zoo-cache.js';
import { loadImage } from './images.js';
import { loadKerasWeightsFile } from './keras-hdf5-file.js';
import { kerasH5HasConfig, loadKerasModelFile } from './keras-model-file.js';
import { isUrl, loadLayersModel } from './load-layers-model.js';
import { labelsBeside, readLabelsFile } from './labels-file.js';
import { isOnnxSpec, openOnnxModel } from './open-onnx.js';

export interface ModelOptions {
  model?: string;
  weights?: string;
  arch?: string;
  inputRange?: string;
  preprocess?: string;
  /** Class names file (JSON array or one per line), for any model. */
  labels?: string;
  /** Input size in px for ONNX models (dynamic axes, or another size than exported). */
  size?: string | number;
  /** Set when `--size` came from the model options (commands that render at the model's size). */
  onnxSizeOnly?: boolean;
  /** No progress bars or notes on stderr. */
  quiet?: boolean;
  /** Environment for the cache variables (default process.env). */
  env?: Env;
}

/** The package root (this file is src/node/*.ts or dist/node/*.js). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EMBEDDED_DIR = path.join(PACKAGE_ROOT, 'models', 'embedded');

/** Names of the published zoo models. */
export const ZOO_NAMES = ZOO.map((r) => r.name);

/** `mean.png` beside a model: its training data's mean image (optional). */
async function readMeanImage(
  file: string,
  model: tf.LayersModel,
): Promise<Float32Array | undefined> {
  if (!existsSync(file)) return undefined;
  const [, height, width, channels] = model.inputs[0].shape;
  if (!height || !width || !channels) return undefined;
  return loadImage(file, { height, width, channels }, 'fill');
}

function inputOverrides(options: ModelOptions): Partial<InputSpec> {
  const overrides: Partial<InputSpec> = {};
  if (options.inputRange) overrides.range = parseInputRange(options.inputRange);
  if (options.preprocess) overrides.preprocess = options.preprocess as PreprocessMode;
  return overrides;
}

/** Labels for a zoo architecture; a failed download only warns (classes show as numbers). */
async function zooLabels(
  record: ZooRecord,
  options: ModelOptions,
  offline: boolean,
): Promise<string[] | undefined> {
  const cache = { env: options.env, progress: !options.quiet, offline };
  try {
    return await ensureLabels(record, cache);
  } catch (error) {
    if (!(error instanceof ConvscopeError)) throw error;
    const name = record.labels ? labelsEntryName(record.labels, record.name) : 'labels';
    process.stderr.write(
      `warning: no class names, classes are shown as numbers: ${error.message} ` +
        `(set CONVSCOPE_MIRROR, or run \`convscope models add FILE --as ${name}\`)\n`,
    );
    return undefined;
  }
}

function zooModel(
  record: ZooRecord,
  model: ConstructorParameters<typeof VisModel>[0],
  labels: string[] | undefined,
  name: string,
  options: ModelOptions,
): VisModel {
  const classes = record.architecture.includeTop ? model.outputs[0].shape[1] : undefined;
  if (labels && classes !== undefined && labels.length !== classes) {
    throw new ConvscopeError(
      `the labels of ${record.name} name ${labels.length} classes but the model has ${classes}`,
      'the labels file belongs to another model; replace it with `convscope models add`',
    );
  }
  const input = { preprocess: record.preprocess, ...inputOverrides(options) };
  return new VisModel(model, { name, labels, input });
}

async function openZoo(record: ZooRecord, options: ModelOptions): Promise<VisModel> {
  const weights = options.weights ?? 'imagenet';
  if (weights === 'none') {
    const labels = await zooLabels(record, options, true);
    return zooModel(record, buildZooArchitecture(record), labels, record.name, options);
  }
  if (weights !== 'imagenet') {
    throw new ConvscopeError(
      `unknown --weights '${weights}'`,
      'leave it out for the pretrained weights, or use --weights none for random ones',
    );
  }
  let labels: Promise<string[] | undefined> | undefined;
  const getLabels = () => (labels ??= zooLabels(record, options, false));
  const progress = !options.quiet;
  const dir = await ensureZooModel(record, { env: options.env, progress, labels: getLabels });
  return zooModel(record, await loadLayersModel(dir), await getLabels(), record.name, options);
}

/** A Keras model that brings its architecture (`.keras`, or `.h5` from `model.save()`). */
async function openKerasModel(file: string, options: ModelOptions): Promise<VisModel> {
  const model = await loadKerasModelFile(file);
  const labels = await labelsBeside(path.dirname(file));
  const meanImage = await readMeanImage(path.join(path.dirname(file), 'mean.png'), model);
  return new VisModel(model, { name: file, labels, meanImage, input: inputOverrides(options) });
}

async function openKerasFile(
  file: string,
  records: ZooRecord[],
  options: ModelOptions,
): Promise<VisModel> {
  if (!options.arch && (await kerasH5HasConfig(file))) return openKerasModel(file, options);
  if (!options.arch) {
    throw new ConvscopeError(
      `${file} holds Keras weights only; name the architecture with --arch`,
      `e.g. --arch vgg16-notop (architectures: ${listForMessage(records.map((r) => r.name))})`,
    );
  }
  const record = findZooRecord(options.arch, records);
  const model = buildZooArchitecture(record);
  try {
    await loadKerasWeightsFile(model, file, {
      hint: `is --arch ${record.name} the right architecture for this file?`,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  const labels = await zooLabels(record, options, false);
  return zooModel(record, model, labels, file, options);
}

function sizeOption(options: ModelOptions): number | undefined {
  if (options.size === undefined) return undefined;
  const size = Number(options.size);
  if (!Number.isInteger(size) || size < 8 || size > 4096) {
    throw new ConvscopeError(
      `--size ${options.size} is not an image size`,
      'give it in pixels, e.g. --size 224',
    );
  }
  return size;
}

/** `--labels FILE` replaces a model's class names; their count must match the classes. */
async function withLabels(model: VisModel, options: ModelOptions): Promise<VisModel> {
  if (!options.labels) return model;
  const labels = await readLabelsFile(options.labels);
  if (model.hasClassifier && labels.length !== model.classes) {
    throw new ConvscopeError(
      `${options.labels} names ${labels.length} classes but the model has ${model.classes}`,
      'pass the labels file that belongs to this model',
    );
  }
  return Object.assign(model, { labels });
}

/** Opens the model named by the options (default: the embedded model). */
export async function openModel(options: ModelOptions = {}): Promise<VisModel> {
  return withLabels(await openAnyModel(options), options);
}

async function openAnyModel(options: ModelOptions): Promise<VisModel> {
  const spec = options.model ?? 'embedded';
  const records = zooRecords(options.env);
  // --weights picks a zoo architecture's weights; any other model brings its own.
  if (options.weights !== undefined && !records.some((r) => r.name === spec)) {
    throw new ConvscopeError(
      `--weights applies to zoo models (${listForMessage(records.map((r) => r.name))}), not to ${spec}`,
      'leave --weights out: this model brings its own weights',
    );
  }
  if (spec.toLowerCase().endsWith('.h5')) return openKerasFile(spec, records, options);
  const record = records.find((r) => r.name === spec);
  if (record) return openZoo(record, options);
  if (options.arch) {
    throw new ConvscopeError(
      `--arch applies to Keras .h5 weights files, not to ${spec}`,
      'pass --model FILE.h5 --arch NAME, or leave --arch out',
    );
  }
  if (spec.toLowerCase().endsWith('.keras')) return openKerasModel(spec, options);
  if (spec !== 'embedded' && isOnnxSpec(spec)) {
    return openOnnxModel(spec, { input: inputOverrides(options), size: sizeOption(options) });
  }
  if (options.onnxSizeOnly) {
    throw new ConvscopeError(
      `--size sets the input size of ONNX models; ${spec} has its own`,
      'leave --size out (filters and classes take --size for the image they render)',
    );
  }
  const location = spec === 'embedded' ? EMBEDDED_DIR : spec;
  const model = await loadLayersModel(location);
  const dir = isUrl(location)
    ? null
    : location.endsWith('.json')
      ? path.dirname(location)
      : location;
  const labels = dir ? await labelsBeside(dir) : undefined;
  const meanImage = dir ? await readMeanImage(path.join(dir, 'mean.png'), model) : undefined;
  return new VisModel(model, { name: spec, labels, meanImage, input: inputOverrides(options) });
}
