/**
 * The two fixture models of make-keras-fixtures.ts as data (a Sequential CNN and a functional
 * one with a residual Add), their seeded weights, and their configs as Keras 2.15 (`model_config`
 * of a `.h5`) and Keras 3 (`config.json` of a `.keras`) serialize them; see that script for
 * where each layout comes from.
 */

/** The input of both models (height, width, channels). */
export const INPUT = [16, 16, 3];

export type Json = unknown;
export type Kind = 'conv' | 'bn' | 'pool' | 'gap' | 'dense' | 'add' | 'relu';
export interface Layer {
  name: string;
  kind: Kind;
  inputs: string[];
  units?: number;
  activation?: string;
}

export const SEQUENTIAL: Layer[] = [
  { name: 'block1_conv', kind: 'conv', inputs: [], units: 8, activation: 'relu' },
  { name: 'block1_bn', kind: 'bn', inputs: [] },
  { name: 'block1_pool', kind: 'pool', inputs: [] },
  { name: 'block2_conv', kind: 'conv', inputs: [], units: 16, activation: 'relu' },
  { name: 'gap', kind: 'gap', inputs: [] },
  { name: 'predictions', kind: 'dense', inputs: [], units: 4, activation: 'softmax' },
];
export const RESIDUAL: Layer[] = [
  { name: 'stem_conv', kind: 'conv', inputs: ['image'], units: 8, activation: 'relu' },
  { name: 'stem_bn', kind: 'bn', inputs: ['stem_conv'] },
  { name: 'res_conv_a', kind: 'conv', inputs: ['stem_bn'], units: 8, activation: 'relu' },
  { name: 'res_conv_b', kind: 'conv', inputs: ['res_conv_a'], units: 8, activation: 'linear' },
  { name: 'res_bn', kind: 'bn', inputs: ['res_conv_b'] },
  { name: 'res_add', kind: 'add', inputs: ['stem_bn', 'res_bn'] },
  { name: 'res_relu', kind: 'relu', inputs: ['res_add'] },
  { name: 'pool', kind: 'pool', inputs: ['res_relu'] },
  { name: 'gap', kind: 'gap', inputs: ['pool'] },
  { name: 'logits', kind: 'dense', inputs: ['gap'], units: 4, activation: 'softmax' },
];

export const CLASS: Record<Kind, string> = {
  conv: 'Conv2D',
  bn: 'BatchNormalization',
  pool: 'MaxPooling2D',
  gap: 'GlobalAveragePooling2D',
  dense: 'Dense',
  add: 'Add',
  relu: 'Activation',
};
export const SNAKE: Record<string, string> = {
  Conv2D: 'conv2d',
  BatchNormalization: 'batch_normalization',
  MaxPooling2D: 'max_pooling2d',
  GlobalAveragePooling2D: 'global_average_pooling2d',
  Dense: 'dense',
  Add: 'add',
  Activation: 'activation',
  InputLayer: 'input_layer',
};

/** Output shapes (without batch) of every layer, walking the list in order. */
export function shapes(layers: Layer[], sequential: boolean): Map<string, number[]> {
  const out = new Map<string, number[]>([['image', INPUT]]);
  let previous = INPUT;
  for (const layer of layers) {
    const input = sequential ? previous : out.get(layer.inputs[0])!;
    const [h, w, c] = input;
    const shape =
      layer.kind === 'conv'
        ? [h, w, layer.units!]
        : layer.kind === 'pool'
          ? [h / 2, w / 2, c]
          : layer.kind === 'gap'
            ? [c]
            : layer.kind === 'dense'
              ? [layer.units!]
              : input;
    out.set(layer.name, shape);
    previous = shape;
  }
  return out;
}

/** mulberry32: a small seeded generator, so the fixtures are the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Weight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A layer's weights in Keras order (trainable, then non-trainable), non-trivial values. */
export function weightsOf(layer: Layer, inShape: number[], next: () => number): Weight[] {
  const fill = (shape: number[], f: () => number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = f();
    return data;
  };
  const uniform = (lo: number, hi: number) => () => lo + (hi - lo) * next();
  const c = inShape[inShape.length - 1];
  if (layer.kind === 'conv' || layer.kind === 'dense') {
    const kernel = layer.kind === 'conv' ? [3, 3, c, layer.units!] : [c, layer.units!];
    const limit = Math.sqrt(6 / (kernel.slice(0, -1).reduce((a, b) => a * b, 1) + layer.units!));
    return [
      { name: 'kernel', shape: kernel, data: fill(kernel, uniform(-limit, limit)) },
      { name: 'bias', shape: [layer.units!], data: fill([layer.units!], uniform(-0.1, 0.1)) },
    ];
  }
  if (layer.kind !== 'bn') return [];
  return [
    { name: 'gamma', shape: [c], data: fill([c], uniform(0.7, 1.3)) },
    { name: 'beta', shape: [c], data: fill([c], uniform(-0.2, 0.2)) },
    { name: 'moving_mean', shape: [c], data: fill([c], uniform(-0.3, 0.3)) },
    { name: 'moving_variance', shape: [c], data: fill([c], uniform(0.5, 1.5)) },
  ];
}

/** An initializer as both Keras 2.13+ and Keras 3 serialize it. */
const init = (className: string, config: Json = {}) => ({
  module: 'keras.initializers',
  class_name: className,
  config,
  registered_name: null,
});

/** The inner config of a layer; `dtype` is a string (Keras 2) or a DTypePolicy (Keras 3). */
function innerConfig(layer: Layer, dtype: Json): Record<string, Json> {
  const base = { name: layer.name, trainable: true, dtype };
  const regularizers = { kernel_regularizer: null, bias_regularizer: null };
  const constraints = { kernel_constraint: null, bias_constraint: null };
  switch (layer.kind) {
    case 'conv':
      return {
        ...base,
        ...{ filters: layer.units, kernel_size: [3, 3], strides: [1, 1], padding: 'same' },
        ...{ data_format: 'channels_last', dilation_rate: [1, 1], groups: 1 },
        ...{ activation: layer.activation, use_bias: true },
        ...{ kernel_initializer: init('GlorotUniform', { seed: null }) },
        ...{ bias_initializer: init('Zeros'), ...regularizers, activity_regularizer: null },
        ...constraints,
      };
    case 'bn':
      return {
        ...base,
        ...{ axis: typeof dtype === 'string' ? [3] : -1, momentum: 0.99, epsilon: 0.001 },
        ...{ center: true, scale: true, beta_initializer: init('Zeros') },
        ...{ gamma_initializer: init('Ones'), moving_mean_initializer: init('Zeros') },
        ...{ moving_variance_initializer: init('Ones'), beta_regularizer: null },
        ...{ gamma_regularizer: null, beta_constraint: null, gamma_constraint: null },
        ...(typeof dtype === 'string' ? {} : { synchronized: false }),
      };
    case 'pool':
      return {
        ...base,
        pool_size: [2, 2],
        padding: 'valid',
        strides: [2, 2],
        data_format: 'channels_last',
      };
    case 'gap':
      return { ...base, data_format: 'channels_last', keepdims: false };
    case 'dense':
      return {
        ...base,
        ...{ units: layer.units, activation: layer.activation, use_bias: true },
        ...{
          kernel_initializer: init('GlorotUniform', { seed: null }),
          bias_initializer: init('Zeros'),
        },
        ...regularizers,
        ...(typeof dtype === 'string' ? { activity_regularizer: null } : {}),
        ...constraints,
      };
    case 'relu':
      return { ...base, activation: 'relu' };
    case 'add':
      return base;
  }
}

const POLICY = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};
const batch = (shape: number[]) => [null, ...shape];

/** Keras 2.15 `model_config` of the model (legacy serialization, as `model.save('m.h5')`). */
export function keras2Config(layers: Layer[], sequential: boolean, name: string): Json {
  if (sequential) {
    const input = {
      batch_input_shape: batch(INPUT),
      dtype: 'float32',
      sparse: false,
      ragged: false,
    };
    const inputLayer = {
      class_name: 'InputLayer',
      config: { ...input, name: `${layers[0].name}_input` },
    };
    const configs = layers.map((layer, i) => {
      const config = innerConfig(layer, 'float32');
      return {
        class_name: CLASS[layer.kind],
        config: i === 0 ? { ...config, batch_input_shape: batch(INPUT) } : config,
      };
    });
    return { class_name: 'Sequential', config: { name, layers: [inputLayer, ...configs] } };
  }
  const input = {
    batch_input_shape: batch(INPUT),
    dtype: 'float32',
    sparse: false,
    ragged: false,
    name: 'image',
  };
  const inputLayer = { class_name: 'InputLayer', config: input, name: 'image', inbound_nodes: [] };
  const configs = layers.map((layer) => ({
    class_name: CLASS[layer.kind],
    config: innerConfig(layer, 'float32'),
    name: layer.name,
    inbound_nodes: [layer.inputs.map((from) => [from, 0, 0, {}])],
  }));
  return {
    class_name: 'Functional',
    config: {
      name,
      trainable: true,
      layers: [inputLayer, ...configs],
      input_layers: [['image', 0, 0]],
      output_layers: [[layers.at(-1)!.name, 0, 0]],
    },
  };
}

/** Keras 3 `config.json` of the model (serialization_lib, as `model.save('m.keras')`). */
export function keras3Config(
  layers: Layer[],
  sequential: boolean,
  name: string,
  compiled: boolean,
): Json {
  const shapeOf = shapes(layers, sequential);
  const entry = (layer: Layer, inShape: number[]) => ({
    module: 'keras.layers',
    class_name: CLASS[layer.kind],
    config: innerConfig(layer, POLICY),
    registered_name: null,
    build_config: {
      input_shape: layer.kind === 'add' ? [batch(inShape), batch(inShape)] : batch(inShape),
    },
  });
  const inputConfig = (inputName: string) => ({
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: {
      batch_shape: batch(INPUT),
      dtype: 'float32',
      sparse: false,
      ragged: false,
      name: inputName,
    },
    registered_name: null,
  });
  const compile = compiled
    ? {
        compile_config: {
          optimizer: {
            module: 'keras.optimizers',
            class_name: 'SGD',
            config: { name: 'SGD', learning_rate: 0.01 },
            registered_name: null,
          },
          loss: 'categorical_crossentropy',
          loss_weights: null,
          metrics: ['accuracy'],
          weighted_metrics: null,
          run_eagerly: false,
          steps_per_execution: 1,
          jit_compile: false,
        },
      }
    : {};
  if (sequential) {
    let previous = INPUT;
    const configs = layers.map((layer) => {
      const config = entry(layer, previous);
      previous = shapeOf.get(layer.name)!;
      return config;
    });
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name,
        trainable: true,
        dtype: POLICY,
        layers: [inputConfig('input_layer'), ...configs],
        build_input_shape: batch(INPUT),
      },
      registered_name: null,
      build_config: { input_shape: batch(INPUT) },
      ...compile,
    };
  }
  const tensor = (from: string) => ({
    class_name: '__keras_tensor__',
    config: { shape: batch(shapeOf.get(from)!), dtype: 'float32', keras_history: [from, 0, 0] },
  });
  const configs = layers.map((layer) => ({
    ...entry(layer, shapeOf.get(layer.inputs[0])!),
    name: layer.name,
    // Add is called with one list argument; other layers with one tensor.
    inbound_nodes: [
      {
        args: layer.kind === 'add' ? [layer.inputs.map(tensor)] : [tensor(layer.inputs[0])],
        kwargs: {},
      },
    ],
  }));
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name,
      trainable: true,
      layers: [{ ...inputConfig('image'), name: 'image', inbound_nodes: [] }, ...configs],
      // keras.Model(inputs, outputs) with one tensor each: bare triples, not lists of them.
      input_layers: ['image', 0, 0],
      output_layers: [layers.at(-1)!.name, 0, 0],
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    ...compile,
  };
}

/** `json.dumps` with Python's default separators (`, ` and `: `), as Keras writes its JSON. */
export function pyJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const items = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`);
    return `{${items.join(', ')}}`;
  }
  return JSON.stringify(value);
}
