/**
 * Keras 3 weights (`model.weights.h5` inside a `.keras` archive) mapped onto a TF.js
 * LayersModel. Keras 3 does not store weights by layer name: `saving_lib._save_state` walks the
 * model, a Sequential or Functional model yields its `layers` list first, and
 * `_save_container_state` names each layer of a list by its class in snake case with a counter
 * per class (`conv2d`, `conv2d_1`, `batch_normalization`, ...; `naming.to_snake_case`), so a
 * layer's variables live at `layers/<snake class>[_<n>]/vars/<i>`, numbered in
 * `_trainable_variables + _non_trainable_variables` order by `Layer.save_own_variables`
 * (kernel, bias; gamma, beta, moving mean, moving variance), and a nested model's layers under
 * its own path (`layers/functional/layers/conv2d/vars/0`). TF.js orders `layer.weights` the
 * same way (trainable, then non-trainable). tf.keras 2.13-2.15 wrote the same layout under
 * `_layer_checkpoint_dependencies`, which `H5Entry` still falls back to. Sources:
 * keras-team/keras keras/src/saving/saving_lib.py (`_save_state`, `_save_container_state`,
 * `H5IOStore`, `H5Entry`) and keras/src/utils/naming.py.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError, listForMessage } from '../errors.js';
import type { KerasLayerList } from './keras-config.js';
import { isGroup, readArray, type Hdf5GroupLike, type KerasWeightsOptions } from './keras-hdf5.js';

/** Keras' `naming.to_snake_case` (Conv2D -> conv2d, BatchNormalization -> batch_normalization). */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Where one layer's variables are, and its own layers' when it is a nested model. */
export interface Keras3WeightPath {
  path: string;
  nested?: Map<string, Keras3WeightPath>;
}

/**
 * The weight path of every layer of `layers` (one model's config, in order), under `prefix`.
 * @example keras3WeightPaths([{ name: 'c', className: 'Conv2D' }]).get('c')?.path // 'layers/conv2d'
 */
export function keras3WeightPaths(
  layers: KerasLayerList,
  prefix = 'layers',
): Map<string, Keras3WeightPath> {
  const used = new Map<string, number>();
  const paths = new Map<string, Keras3WeightPath>();
  for (const layer of layers) {
    const snake = toSnakeCase(layer.className);
    const count = used.get(snake);
    used.set(snake, count === undefined ? 0 : count + 1);
    const path = `${prefix}/${count === undefined ? snake : `${snake}_${count + 1}`}`;
    const nested = layer.nested ? keras3WeightPaths(layer.nested, `${path}/layers`) : undefined;
    paths.set(layer.name, nested ? { path, nested } : { path });
  }
  return paths;
}

/** Names of a group's members that are variable indices, in numeric order. */
function variableNames(group: Hdf5GroupLike): string[] {
  return group
    .keys()
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b));
}

/** The root's layer list (`layers`, or tf.keras 2.13-2.15's `_layer_checkpoint_dependencies`). */
function layersPrefix(root: Hdf5GroupLike, where: string): string {
  const keys = root.keys();
  if (keys.includes('layers')) return 'layers';
  if (keys.includes('_layer_checkpoint_dependencies')) return '_layer_checkpoint_dependencies';
  throw new ConvscopeError(
    `${where}: the weights file has no 'layers' group (it holds: ${listForMessage(keys)})`,
    'the archive is damaged or was not written by Keras 3 `model.save()`',
  );
}

function fillLayers(
  layers: tf.layers.Layer[],
  root: Hdf5GroupLike,
  paths: Map<string, Keras3WeightPath>,
  where: string,
  hint: string,
  filled: string[],
): void {
  for (const layer of layers) {
    const expected = layer.weights;
    if (expected.length === 0) continue;
    const entry = paths.get(layer.name);
    if (!entry) {
      throw new ConvscopeError(`${where}: layer '${layer.name}' is not in the model config`);
    }
    if (entry.nested && 'layers' in layer) {
      const nested = (layer as unknown as tf.LayersModel).layers;
      fillLayers(nested, root, entry.nested, where, hint, filled);
      continue;
    }
    const group = root.get(`${entry.path}/vars`);
    const names = isGroup(group) ? variableNames(group) : [];
    if (!isGroup(group) || names.length !== expected.length) {
      throw new ConvscopeError(
        `${where}: layer '${layer.name}' has ${expected.length} weight arrays but the weights file holds ${names.length} at ${entry.path}/vars`,
        `the weights belong to another model or the archive is damaged${hint}`,
      );
    }
    const tensors = names.map((name, i) => {
      const shape = expected[i].shape as number[];
      const values = readArray(root, layer.name, `${entry.path}/vars/${name}`, shape, where, hint);
      return tf.tensor(values, shape);
    });
    layer.setWeights(tensors);
    tf.dispose(tensors);
    filled.push(layer.name);
  }
}

/**
 * Loads Keras 3 weights (an opened `model.weights.h5`) into `model`, built from the config
 * whose layers are `layers`. Every layer with weights must be in the file with the right count
 * and shapes, or a ConvscopeError names it. Returns the names of the layers it filled.
 * @example applyKeras3Weights(model, h5file, topology.layerClasses, { source: 'model.keras' });
 */
export function applyKeras3Weights(
  model: tf.LayersModel,
  root: Hdf5GroupLike,
  layers: KerasLayerList,
  options: KerasWeightsOptions = {},
): string[] {
  const where = options.source ?? 'the weights file';
  const hint = options.hint ? `; ${options.hint}` : '';
  const paths = keras3WeightPaths(layers, layersPrefix(root, where));
  const filled: string[] = [];
  fillLayers(model.layers, root, paths, where, hint, filled);
  return filled;
}
