/**
 * Keras HDF5 weights (the `save_weights` layout Keras applications ship) mapped onto a TF.js
 * LayersModel, the way Keras' own by-name loader does it: the root attribute `layer_names`
 * lists the layers, each layer's group has a `weight_names` attribute, and the arrays live at
 * `/<layer>/<weight name>`, taken in `weight_names` order (kernel, then bias) whatever they
 * are called (`block1_conv1/kernel:0` or the old `block1_conv1_W_1:0`). Every shape is
 * checked before its data is read, and a missing layer or a wrong shape is reported by name.
 * This module never opens a file: it takes an already opened HDF5 root (an h5wasm `File`, or
 * anything shaped like one), so it runs in browsers, workers and Node alike.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError, listForMessage } from '../errors.js';

/** What is read from an HDF5 attribute (h5wasm's `Attribute` fits). */
export interface Hdf5AttributeLike {
  readonly value: unknown;
}

/** An HDF5 group: h5wasm's `File` and `Group` fit this shape. */
export interface Hdf5GroupLike {
  readonly attrs: Record<string, Hdf5AttributeLike>;
  get(path: string): unknown;
  keys(): string[];
}

/** An HDF5 dataset: h5wasm's `Dataset` fits this shape. */
export interface Hdf5DatasetLike {
  readonly shape: number[] | null;
  readonly value: unknown;
}

export interface KerasWeightsOptions {
  /** Names the file in messages (a path or URL). */
  source?: string;
  /** Appended to error hints, e.g. "is --arch vgg16-notop the right architecture?". */
  hint?: string;
}

export function isGroup(node: unknown): node is Hdf5GroupLike {
  return typeof node === 'object' && node !== null && 'keys' in node && 'attrs' in node;
}

function isDataset(node: unknown): node is Hdf5DatasetLike {
  return typeof node === 'object' && node !== null && 'shape' in node && !('keys' in node);
}

/** Decodes a string-array attribute (fixed or variable length, NUL- or space-padded). */
function toStrings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value.replace(/[\0 ]+$/, '')];
  if (Array.isArray(value)) return value.flatMap(toStrings);
  // An empty list saved by h5py comes back as an empty numeric array.
  if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<number>).length === 0) return [];
  throw new ConvscopeError(`expected a list of names in the weights file, found ${typeof value}`);
}

/**
 * Reads an attribute Keras may have split into chunks (`name0`, `name1`, ... when the list is
 * larger than an HDF5 object header holds); undefined when it is absent.
 */
export function readNameList(group: Hdf5GroupLike, name: string): string[] | undefined {
  const attrs = group.attrs;
  if (name in attrs) return toStrings(attrs[name].value);
  if (!(`${name}0` in attrs)) return undefined;
  const names: string[] = [];
  for (let chunk = 0; `${name}${chunk}` in attrs; chunk++) {
    names.push(...toStrings(attrs[`${name}${chunk}`].value));
  }
  return names;
}

/** The group that holds `layer_names`: the root, or `model_weights` in a full-model file. */
export function kerasWeightsRoot(root: Hdf5GroupLike, source = 'the file'): Hdf5GroupLike {
  if (readNameList(root, 'layer_names')) return root;
  const nested = root.keys().includes('model_weights') ? root.get('model_weights') : null;
  if (isGroup(nested) && readNameList(nested, 'layer_names')) return nested;
  throw new ConvscopeError(
    `${source} is an HDF5 file but not Keras weights (no 'layer_names' attribute)`,
    'pass a file written by Keras `save_weights` or `save`, e.g. vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
  );
}

/** Layer name -> its weight names, for every layer the file lists (weightless ones too). */
export function listKerasLayers(root: Hdf5GroupLike, source?: string): Map<string, string[]> {
  const weightsRoot = kerasWeightsRoot(root, source);
  const layers = new Map<string, string[]>();
  for (const name of readNameList(weightsRoot, 'layer_names') ?? []) {
    const group = weightsRoot.get(name);
    layers.set(name, isGroup(group) ? (readNameList(group, 'weight_names') ?? []) : []);
  }
  return layers;
}

/** One weight array of `group`, its shape checked against `expected` before it is read. */
export function readArray(
  group: Hdf5GroupLike,
  layer: string,
  weightName: string,
  expected: number[],
  where: string,
  hint: string,
): Float32Array {
  const dataset = group.get(weightName);
  if (!isDataset(dataset)) {
    throw new ConvscopeError(
      `${where}: layer '${layer}' lists weight '${weightName}' but has no such dataset`,
      `the file is damaged or not Keras weights${hint}`,
    );
  }
  const shape = dataset.shape ?? [];
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new ConvscopeError(
      `${where}: layer '${layer}' weight '${weightName}' has shape [${shape.join(', ')}] but the model expects [${expected.join(', ')}]`,
      `the file is for another architecture or size${hint}`,
    );
  }
  const value = dataset.value;
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array) return Float32Array.from(value);
  throw new ConvscopeError(
    `${where}: layer '${layer}' weight '${weightName}' is not a float array`,
    `convscope reads float32/float64 weights${hint}`,
  );
}

/**
 * Loads Keras HDF5 weights into `model`, matching layers by name. Layers of the file that the
 * model lacks are ignored (so a with-top file fills a notop model); a model layer with
 * weights that the file lacks, a different number of arrays or any wrong shape throws a
 * ConvscopeError naming the layer. Returns the names of the layers it filled.
 * @example
 *   const file = new h5wasm.File('vgg16_notop.h5', 'r');
 *   applyKerasWeights(buildVgg('vgg16', { includeTop: false }), file, { source: 'vgg16_notop.h5' });
 */
export function applyKerasWeights(
  model: tf.LayersModel,
  root: Hdf5GroupLike,
  options: KerasWeightsOptions = {},
): string[] {
  const where = options.source ?? 'the weights file';
  const hint = options.hint ? `; ${options.hint}` : '';
  const weightsRoot = kerasWeightsRoot(root, where);
  const fileLayers = listKerasLayers(root, where);
  const filled: string[] = [];
  for (const layer of model.layers) {
    const expected = layer.weights;
    if (expected.length === 0) continue;
    const weightNames = fileLayers.get(layer.name);
    const group = weightsRoot.get(layer.name);
    if (!weightNames || !isGroup(group)) {
      const withWeights = [...fileLayers].filter(([, w]) => w.length > 0).map(([n]) => n);
      throw new ConvscopeError(
        `${where} has no weights for layer '${layer.name}' of ${model.name}; it holds: ${listForMessage(withWeights)}`,
        `use weights made for this architecture${hint}`,
      );
    }
    if (weightNames.length !== expected.length) {
      throw new ConvscopeError(
        `${where}: layer '${layer.name}' has ${weightNames.length} weight arrays (${weightNames.join(', ')}) but the model's layer has ${expected.length}`,
        `the file is for another architecture${hint}`,
      );
    }
    const tensors = weightNames.map((weightName, i) => {
      const shape = expected[i].shape as number[];
      return tf.tensor(readArray(group, layer.name, weightName, shape, where, hint), shape);
    });
    layer.setWeights(tensors);
    tf.dispose(tensors);
    filled.push(layer.name);
  }
  return filled;
}
