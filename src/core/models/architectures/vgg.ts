/**
 * VGG16 and VGG19 (Simonyan & Zisserman 2014) built exactly as Keras' applications build them:
 * same layer names, 3x3 same-padding convs with fused ReLU, 2x2 max-pools, and the optional
 * top (flatten, fc1, fc2, predictions). Weights are random until loaded.
 */
import * as tf from '@tensorflow/tfjs';

export const VGG_BLOCKS = {
  vgg16: [2, 2, 3, 3, 3],
  vgg19: [2, 2, 4, 4, 4],
} as const;

const BLOCK_FILTERS = [64, 128, 256, 512, 512];

export interface VggOptions {
  includeTop?: boolean;
  /** Input height and width (224 with the top; any size >= 32 without). */
  size?: number;
  classes?: number;
  seed?: number;
  /**
   * Divides every conv's filters and the fc layers' units (default 1, Keras' sizes). A smaller
   * model with the very same layer names and graph, for tests and benchmarks.
   */
  widthDivisor?: number;
}

export function buildVgg(variant: keyof typeof VGG_BLOCKS, options: VggOptions = {}): tf.LayersModel {
  const { includeTop = true, size = 224, classes = 1000, seed, widthDivisor = 1 } = options;
  const width = (units: number) => Math.max(1, Math.floor(units / widthDivisor));
  const init = (i: number) => (seed === undefined ? 'glorotUniform' : tf.initializers.glorotUniform({ seed: seed + i }));
  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  let x: tf.SymbolicTensor = input;
  let layerIndex = 0;
  VGG_BLOCKS[variant].forEach((convs, b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({
          filters: width(BLOCK_FILTERS[b]),
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(layerIndex++),
          name: `block${b + 1}_conv${c}`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
  });
  if (includeTop) {
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: width(4096), activation: 'relu', name: 'fc1', kernelInitializer: init(layerIndex++) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: width(4096), activation: 'relu', name: 'fc2', kernelInitializer: init(layerIndex++) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: classes, activation: 'softmax', name: 'predictions', kernelInitializer: init(layerIndex++) })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: variant });
}
