/**
 * Small random TF.js models that together use every layer kind and activation the ONNX engine
 * lowers, for checking engines against each other: overlapping and same-padded pooling,
 * strided, dilated, depthwise and separable convolutions, batch normalization, padding and
 * cropping, residual adds, concatenation, multiplication, global pooling, dense heads.
 */
import * as tf from '@tensorflow/tfjs';

const init = (seed: number) => tf.initializers.glorotUniform({ seed });
const bias = (seed: number) => tf.initializers.randomNormal({ seed, stddev: 0.1 });
type Sym = tf.SymbolicTensor;

/** Convolutions, pooling and merges of every kind, ending in a dense softmax head. */
export function layerKindsModel(): tf.LayersModel {
  const input = tf.input({ shape: [13, 13, 3], name: 'image' });
  const conv = (x: Sym, config: Parameters<typeof tf.layers.conv2d>[0], seed: number) =>
    tf.layers
      .conv2d({ kernelInitializer: init(seed), biasInitializer: bias(seed), ...config })
      .apply(x) as Sym;
  let x = conv(
    input,
    { filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_same' },
    1,
  );
  x = conv(
    x,
    { filters: 6, kernelSize: 3, dilationRate: 2, padding: 'valid', name: 'conv_dilated' },
    2,
  );
  x = tf.layers.activation({ activation: 'relu', name: 'relu_layer' }).apply(x) as Sym;
  x = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      depthMultiplier: 2,
      activation: 'relu',
      name: 'depthwise',
      depthwiseInitializer: init(3),
      biasInitializer: bias(3),
    })
    .apply(x) as Sym;
  x = tf.layers
    .separableConv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      name: 'separable',
      depthwiseInitializer: init(4),
      pointwiseInitializer: init(5),
      biasInitializer: bias(5),
    })
    .apply(x) as Sym;
  x = tf.layers
    .batchNormalization({
      name: 'bn',
      movingMeanInitializer: bias(6),
      movingVarianceInitializer: 'ones',
      gammaInitializer: bias(7),
      betaInitializer: bias(8),
    })
    .apply(x) as Sym;
  x = tf.layers.reLU({ name: 'relu_plain' }).apply(x) as Sym;
  x = tf.layers
    .maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool_overlap' })
    .apply(x) as Sym;
  x = tf.layers
    .zeroPadding2d({
      padding: [
        [1, 2],
        [2, 1],
      ],
      name: 'pad',
    })
    .apply(x) as Sym;
  x = tf.layers
    .cropping2D({
      cropping: [
        [1, 0],
        [0, 2],
      ],
      name: 'crop',
    })
    .apply(x) as Sym;
  x = tf.layers
    .averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'avg_same' })
    .apply(x) as Sym;
  const a = conv(x, { filters: 8, kernelSize: 1, activation: 'relu', name: 'branch_a' }, 9);
  const b = conv(
    x,
    { filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'branch_b' },
    10,
  );
  const sum = tf.layers.add({ name: 'residual' }).apply([a, b]) as Sym;
  const product = tf.layers.multiply({ name: 'product' }).apply([a, b]) as Sym;
  x = tf.layers.concatenate({ name: 'concat' }).apply([sum, product, x]) as Sym;
  x = conv(
    x,
    {
      filters: 12,
      kernelSize: 2,
      strides: 2,
      padding: 'valid',
      activation: 'relu',
      name: 'conv_strided',
    },
    11,
  );
  x = tf.layers
    .maxPooling2d({ poolSize: [2, 1], strides: 1, padding: 'valid', name: 'pool_valid' })
    .apply(x) as Sym;
  const pooled = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(x) as Sym;
  x = tf.layers
    .dense({
      units: 10,
      activation: 'relu',
      name: 'fc',
      kernelInitializer: init(12),
      biasInitializer: bias(12),
    })
    .apply(pooled) as Sym;
  x = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(x) as Sym;
  const out = tf.layers
    .dense({ units: 4, activation: 'softmax', name: 'predictions', kernelInitializer: init(13) })
    .apply(x) as Sym;
  return tf.model({ inputs: input, outputs: out, name: 'layer_kinds' });
}

/** One conv per activation function, a flatten and a dense head with a Softmax layer. */
export function activationsModel(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 1], name: 'image' });
  const kinds = [
    'elu',
    'selu',
    'tanh',
    'sigmoid',
    'softplus',
    'softsign',
    'hardSigmoid',
    'swish',
    'relu6',
    'linear',
  ] as const;
  let x = input as Sym;
  kinds.forEach((activation, i) => {
    x = tf.layers
      .conv2d({
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation,
        name: `conv_${activation}`,
        kernelInitializer: init(20 + i),
        biasInitializer: bias(20 + i),
      })
      .apply(x) as Sym;
  });
  x = tf.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(x) as Sym;
  x = tf.layers.reLU({ maxValue: 6, name: 'relu6_layer' }).apply(x) as Sym;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as Sym;
  x = tf.layers.dense({ units: 5, name: 'logits', kernelInitializer: init(40) }).apply(x) as Sym;
  const out = tf.layers.softmax({ name: 'probs' }).apply(x) as Sym;
  return tf.model({ inputs: input, outputs: out, name: 'activations' });
}
