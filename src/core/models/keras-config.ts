/**
 * A Keras model config (the `model_config` attribute of a Keras 2 `.h5` written by
 * `model.save()`, or `config.json` in a Keras 3 `.keras` archive) rewritten into the dialect
 * TF.js 4.22's `modelFromJSON` reads, which is Keras 2's. What Keras 3 writes differently, as
 * its `serialization_lib.serialize_keras_object` and `Functional.get_config` do
 * (keras-team/keras, keras/src/saving/serialization_lib.py, keras/src/models/functional.py):
 * `module`/`registered_name`/`build_config`/`compile_config` beside every object, `dtype` as a
 * `DTypePolicy` object, InputLayer's `batch_shape`, inbound nodes as
 * `{args: [{class_name: '__keras_tensor__', config: {keras_history: [layer, node, tensor]}}],
 * kwargs}`, and `input_layers`/`output_layers` as one bare `[layer, node, tensor]` triple when
 * the model has a single input or output. Keras 2 writes a BatchNormalization `axis` as a
 * one-element list, which Keras 3's own legacy loader unwraps too
 * (keras/src/legacy/saving/saving_utils.py). Every layer class is checked against the classes
 * TF.js can build before anything is built, so an unknown one is named with its layer.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The classes of whole models (as opposed to layers) that a config may name. */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Keys Keras 3 puts beside `class_name`/`config` that TF.js has no use for. */
const WRAPPER_KEYS = ['module', 'registered_name', 'build_config', 'compile_config'];

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A Keras config after normalization, ready for `tf.models.modelFromJSON`. */
export interface KerasTopology {
  /** `{class_name, config}` in the Keras 2 dialect TF.js reads. */
  modelConfig: JsonObject;
  /** Layer class names as Keras wrote them, per model (nested models under their name). */
  layerClasses: KerasLayerList;
}

/** The layers of one model in config order, with nested models' own lists. */
export type KerasLayerList = { name: string; className: string; nested?: KerasLayerList }[];

/** Where messages name the file, e.g. `model.keras`. */
function fail(where: string, message: string, hint?: string): never {
  throw new ConvscopeError(`${where}: ${message}`, hint);
}

/** A DTypePolicy object or name as the dtype TF.js knows (mixed policies keep float32 weights). */
function dtypeName(dtype: Json): Json {
  const name = isObject(dtype) && isObject(dtype.config) ? dtype.config.name : dtype;
  if (typeof name !== 'string') return dtype;
  return name.startsWith('mixed_') ? 'float32' : name;
}

/** Strips Keras 3's wrapper keys from every serialized object below `value`. */
function stripWrappers(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripWrappers);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if ('class_name' in value && (WRAPPER_KEYS.includes(key) || key === 'shared_object_id')) {
      continue;
    }
    out[key] = stripWrappers(item);
  }
  return out;
}

/** Options that TF.js would silently compute differently from Keras: refuse them. */
function checkOptions(where: string, name: string, className: string, config: JsonObject): void {
  const refuse = (what: string) =>
    fail(
      where,
      `layer '${name}' (${className}) uses ${what}, which TF.js cannot compute`,
      'convscope builds Keras models with TF.js layers; rebuild the model without it',
    );
  if (typeof config.groups === 'number' && config.groups !== 1) refuse(`groups=${config.groups}`);
  if (config.keepdims === true) refuse('keepdims=True');
}

/** One layer's inner config, normalized. */
function layerConfig(where: string, className: string, raw: JsonObject): JsonObject {
  const config = stripWrappers(raw) as JsonObject;
  const name = typeof config.name === 'string' ? config.name : '?';
  checkOptions(where, name, className, config);
  if ('dtype' in config) config.dtype = dtypeName(config.dtype);
  if (className === 'InputLayer') {
    if (config.batch_shape !== undefined && config.batch_input_shape === undefined) {
      config.batch_input_shape = config.batch_shape;
    }
    for (const key of ['batch_shape', 'optional', 'ragged']) delete config[key];
  }
  if (Array.isArray(config.axis) && config.axis.length === 1) config.axis = config.axis[0];
  return config;
}

/** `[layer, node, tensor]` of a serialized Keras 3 KerasTensor, or null for anything else. */
function kerasHistory(value: Json): Json[] | null {
  if (!isObject(value) || value.class_name !== '__keras_tensor__') return null;
  const history = isObject(value.config) ? value.config.keras_history : null;
  return Array.isArray(history) && history.length === 3 ? history : null;
}

/** Keras 3's `{args, kwargs}` node as TF.js' list of `[layer, node, tensor, kwargs]`. */
function inboundNode(where: string, layer: string, node: Json): Json {
  if (Array.isArray(node)) return node; // already Keras 2's form
  if (!isObject(node)) fail(where, `layer '${layer}' has an inbound node that is not understood`);
  const tensors: Json[] = [];
  const collect = (value: Json): void => {
    const history = kerasHistory(value);
    if (history) tensors.push([...history, {}]);
    else if (Array.isArray(value)) value.forEach(collect);
  };
  collect(node.args ?? []);
  const kwargs = isObject(node.kwargs) ? Object.values(node.kwargs) : [];
  if (kwargs.some((value) => kerasHistory(value) !== null)) {
    fail(where, `layer '${layer}' is called with a tensor as a keyword argument`);
  }
  return tensors;
}

/** `input_layers`/`output_layers`: a bare triple (one tensor) becomes a list of one. */
function tensorList(where: string, value: Json, key: string): Json[] {
  if (Array.isArray(value) && typeof value[0] === 'string') return [value];
  if (Array.isArray(value)) return value;
  return fail(
    where,
    `the model's ${key} are not a list (named inputs or outputs)`,
    'convscope reads models with one image input',
  );
}

/** Every class name TF.js has registered (layers, models, initializers, ...). */
function knownClasses(): Set<string> {
  return new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
}

interface Walk {
  where: string;
  known: Set<string>;
}

/** A layer entry (`{class_name, config, name?, inbound_nodes?}`), normalized. */
function layerEntry(walk: Walk, entry: Json, index: number, list: KerasLayerList): JsonObject {
  if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) {
    return fail(walk.where, `layer ${index} of the model config is not a Keras layer config`);
  }
  const className = entry.class_name;
  const name = String(entry.config.name ?? entry.name ?? `#${index}`);
  if (MODEL_CLASSES.has(className)) {
    const nested: KerasLayerList = [];
    const model = modelEntry(walk, entry, nested);
    list.push({ name, className, nested });
    if (entry.inbound_nodes !== undefined) {
      model.inbound_nodes = (Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : []).map(
        (node) => inboundNode(walk.where, name, node),
      );
      model.name = name;
    }
    return model;
  }
  if (!walk.known.has(className)) {
    fail(
      walk.where,
      `layer '${name}' is a ${className}, a layer class convscope cannot build`,
      'convscope builds Keras models from the layers TF.js implements (Conv2D, Dense, BatchNormalization, pooling, Add, ...)',
    );
  }
  list.push({ name, className });
  const out: JsonObject = { class_name: className, config: layerConfig(walk.where, className, entry.config) };
  if (entry.name !== undefined) out.name = entry.name;
  if (entry.inbound_nodes !== undefined) {
    const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    out.inbound_nodes = nodes.map((node) => inboundNode(walk.where, name, node));
  }
  return out;
}

/**
 * Checks that layer names are unique and every connection names a layer of the model: TF.js'
 * `Container.fromConfig` waits forever for an inbound layer that never appears.
 */
function checkWiring(where: string, layers: JsonObject[], ends: Json[]): void {
  const names = layers.map((l) => String(l.name ?? (l.config as JsonObject).name));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) fail(where, `the model config has two layers named '${name}'`);
    seen.add(name);
  }
  const check = (from: Json, to: string) => {
    if (!seen.has(String(from))) {
      fail(where, `${to} takes its input from '${String(from)}', which is not a layer of the model`);
    }
  };
  layers.forEach((layer, i) => {
    for (const node of (layer.inbound_nodes ?? []) as Json[][][]) {
      for (const tensor of node) check(tensor[0], `layer '${names[i]}'`);
    }
  });
  for (const end of ends as Json[][]) check(end[0], 'the model');
}

/** A Sequential or Functional model entry, normalized (nested models recurse here). */
function modelEntry(walk: Walk, entry: JsonObject, list: KerasLayerList): JsonObject {
  const className = entry.class_name as string;
  const raw = entry.config;
  if (className === 'Sequential') {
    // Keras 1 and early Keras 2 wrote a Sequential's config as the bare list of layers.
    const layersRaw = Array.isArray(raw) ? raw : isObject(raw) ? raw.layers : null;
    if (!Array.isArray(layersRaw) || layersRaw.length === 0) {
      fail(walk.where, 'the Sequential model config has no layers');
    }
    const layers = layersRaw.map((layer, i) => layerEntry(walk, layer, i, list));
    const buildShape = isObject(raw) ? raw.build_input_shape : null;
    const first = layers[0].config as JsonObject;
    if (layers[0].class_name !== 'InputLayer' && !first.batch_input_shape && buildShape) {
      first.batch_input_shape = buildShape; // Keras 3 keeps it beside the layers
    }
    const name = isObject(raw) && typeof raw.name === 'string' ? raw.name : 'sequential';
    checkWiring(walk.where, layers, []);
    return { class_name: 'Sequential', config: { name, layers } };
  }
  if (!isObject(raw) || !Array.isArray(raw.layers)) {
    return fail(walk.where, `the ${className} model config has no layers`);
  }
  const layers = raw.layers.map((layer, i) => layerEntry(walk, layer, i, list));
  const inputs = tensorList(walk.where, raw.input_layers, 'inputs');
  const outputs = tensorList(walk.where, raw.output_layers, 'outputs');
  checkWiring(walk.where, layers, [...inputs, ...outputs]);
  const name = typeof raw.name === 'string' ? raw.name : 'model';
  return { class_name: 'Model', config: { name, layers, input_layers: inputs, output_layers: outputs } };
}

/**
 * Normalizes a Keras model config (parsed JSON: `{class_name, config}`) for TF.js. Throws a
 * ConvscopeError naming `where` for what it cannot read: not a model config, a model class
 * other than Sequential/Functional, a layer class TF.js lacks, an option TF.js ignores.
 * @example const { modelConfig } = normalizeKerasConfig(JSON.parse(text), 'model.keras');
 */
export function normalizeKerasConfig(config: unknown, where: string): KerasTopology {
  if (!isObject(config) || typeof config.class_name !== 'string') {
    return fail(where, 'the model config is not a Keras model (no class_name)');
  }
  if (!MODEL_CLASSES.has(config.class_name)) {
    return fail(
      where,
      `the model is a ${config.class_name}, not a Sequential or functional model`,
      'subclassed Keras models carry no architecture convscope can build; save a Sequential or functional model',
    );
  }
  const layerClasses: KerasLayerList = [];
  const modelConfig = modelEntry({ where, known: knownClasses() }, config, layerClasses);
  return { modelConfig, layerClasses };
}
