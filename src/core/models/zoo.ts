/**
 * The model zoo as data: one record per pretrained model (`vgg16`, `vgg16-notop`, `vgg19`,
 * `vgg19-notop`) with the architecture built in code, where its Keras HDF5 weights and its
 * labels are downloaded from (file names, byte sizes and MD5 hashes as Keras' own loader
 * checks them), its input size and its preprocessing. Downloading, caching and conversion
 * live in `src/node/cache/`; this module only describes, so the browser can read it too.
 * Extra records (a private model, a test fixture) are validated by `parseZooRecords`.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConvscopeError, listForMessage } from '../errors.js';
import { buildVgg } from './architectures/vgg.js';
import type { PreprocessMode } from './input-spec.js';

/** A file the zoo downloads: `path` is relative to `base`, and to a mirror that replaces it. */
export interface ZooFile {
  base: string;
  path: string;
  /** Exact size in bytes, when known. */
  bytes?: number;
  /** Content hash, when known (Keras publishes MD5s). */
  hash?: { algorithm: 'md5' | 'sha256'; value: string };
}

export interface ZooArchitecture {
  family: 'vgg16' | 'vgg19';
  includeTop: boolean;
  /** Input height and width. */
  size: number;
  classes?: number;
  /** Width divisor of `buildVgg` (1 for the published models). */
  widthDivisor?: number;
}

export interface ZooRecord {
  name: string;
  description: string;
  architecture: ZooArchitecture;
  preprocess: PreprocessMode;
  weights: ZooFile;
  /** Class names (ImageNet's `imagenet_class_index.json`), for models with a classifier. */
  labels?: ZooFile;
}

const KERAS_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications/';
const DATA_BASE = 'https://storage.googleapis.com/download.tensorflow.org/data/';

/** ImageNet class names, `{"0": ["n01440764", "tench"], ...}` (hash from Keras' loader). */
export const IMAGENET_LABELS: ZooFile = {
  base: DATA_BASE,
  path: 'imagenet_class_index.json',
  bytes: 35_363,
  hash: { algorithm: 'md5', value: 'c2c37ea517e94d9795004a39431a14cb' },
};

function vgg(
  family: 'vgg16' | 'vgg19',
  includeTop: boolean,
  bytes: number,
  md5: string,
): ZooRecord {
  const suffix = includeTop ? '' : '_notop';
  return {
    name: includeTop ? family : `${family}-notop`,
    description: `${family.toUpperCase()} (ImageNet, Keras applications)${includeTop ? '' : ' without the classifier'}`,
    architecture: { family, includeTop, size: 224, classes: includeTop ? 1000 : undefined },
    preprocess: 'caffe',
    weights: {
      base: KERAS_BASE,
      path: `${family}/${family}_weights_tf_dim_ordering_tf_kernels${suffix}.h5`,
      bytes,
      hash: { algorithm: 'md5', value: md5 },
    },
    labels: includeTop ? IMAGENET_LABELS : undefined,
  };
}

/** The published models. Sizes and MD5s are those Keras applications check on download. */
export const ZOO: readonly ZooRecord[] = [
  vgg('vgg16', true, 553_467_096, '64373286793e3c8b2b4e3219cbf3544b'),
  vgg('vgg16', false, 58_889_256, '6d6bbae143d832006294945121d1f1fc'),
  vgg('vgg19', true, 574_710_816, 'cbe5617147190e668d6c5d5026f83318'),
  vgg('vgg19', false, 80_134_624, '253f8cb515780f3b799900260a226db6'),
];

/** The record called `name` among `records`; the error lists the names there are. */
export function findZooRecord(name: string, records: readonly ZooRecord[] = ZOO): ZooRecord {
  const record = records.find((r) => r.name === name);
  if (!record) {
    throw new ConvscopeError(
      `unknown zoo model '${name}'; the zoo has: ${listForMessage(records.map((r) => r.name))}`,
      'see `convscope models list`',
    );
  }
  return record;
}

/** The record's architecture with random weights (deterministic for a given seed). */
export function buildZooArchitecture(record: ZooRecord, seed = 0): tf.LayersModel {
  const { family, includeTop, size, classes, widthDivisor } = record.architecture;
  return buildVgg(family, { includeTop, size, classes, widthDivisor, seed });
}

/** The download URL of a zoo file, under `mirror` when one is given (CONVSCOPE_MIRROR). */
export function zooFileUrl(file: ZooFile, mirror?: string): string {
  const base = mirror ? (mirror.endsWith('/') ? mirror : `${mirror}/`) : file.base;
  return base + file.path.replace(/^\/+/, '');
}

/** Class names in index order from `imagenet_class_index.json` text. */
export function parseImagenetLabels(text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const entries = typeof json === 'object' && json !== null ? Object.entries(json) : [];
  const labels: string[] = [];
  for (const [key, value] of entries) {
    if (!/^\d+$/.test(key) || !Array.isArray(value) || typeof value[1] !== 'string') {
      labels.length = 0;
      break;
    }
    labels[Number(key)] = value[1];
  }
  if (labels.length === 0 || entries.length !== labels.length) {
    throw new ConvscopeError(
      'the labels file is not an ImageNet class index ({"0": ["n01440764", "tench"], ...})',
      'download imagenet_class_index.json again or `convscope models add FILE --as imagenet-labels`',
    );
  }
  return labels;
}

function isZooFile(value: unknown): value is ZooFile {
  const f = value as ZooFile;
  return (
    typeof f === 'object' &&
    f !== null &&
    typeof f.base === 'string' &&
    typeof f.path === 'string' &&
    (f.bytes === undefined || Number.isInteger(f.bytes)) &&
    (f.hash === undefined || ['md5', 'sha256'].includes(f.hash.algorithm))
  );
}

/** Validates extra zoo records (e.g. from the file named by CONVSCOPE_ZOO). */
export function parseZooRecords(json: unknown, source: string): ZooRecord[] {
  const list = Array.isArray(json) ? json : [];
  const bad = (why: string) =>
    new ConvscopeError(
      `${source}: ${why}`,
      'give an array of records like { name, description, architecture: { family, includeTop, size }, preprocess, weights: { base, path, bytes?, hash? } }',
    );
  if (!Array.isArray(json)) throw bad('expected a JSON array of zoo records');
  return list.map((r: ZooRecord, i) => {
    const arch = r?.architecture;
    if (typeof r?.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(r.name)) {
      throw bad(`record ${i} needs a name of letters, digits, '.', '_' or '-'`);
    }
    if (!arch || !['vgg16', 'vgg19'].includes(arch.family) || !Number.isInteger(arch.size)) {
      throw bad(`record '${r.name}' needs architecture { family: vgg16|vgg19, includeTop, size }`);
    }
    if (!isZooFile(r.weights) || (r.labels !== undefined && !isZooFile(r.labels))) {
      throw bad(`record '${r.name}' needs weights (and optional labels) as { base, path }`);
    }
    return { ...r, description: r.description ?? r.name, preprocess: r.preprocess ?? 'caffe' };
  });
}
