/** Small TF.js layers models built inline for tests, and a writer for the TF.js file format. */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Sequential: fused-ReLU convs (same + valid), max-pool, flatten, dense softmax head. */
export function sequentialModel(seed = 1): tf.Sequential {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed + i });
  return tf.sequential({
    name: 'seq',
    layers: [
      tf.layers.conv2d({
        inputShape: [12, 12, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv_a',
        kernelInitializer: init(0),
        biasInitializer: 'ones',
      }),
      tf.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
        name: 'conv_b',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        units: 5,
        activation: 'softmax',
        name: 'predictions',
        kernelInitializer: init(2),
        biasInitializer: tf.initializers.randomNormal({ seed }),
      }),
    ],
  });
}

/**
 * Functional: linear convs followed by separate Activation layers (the case where tfjs' fused
 * conv asks for Conv2DBackpropFilter), a strided even-kernel conv, a global average pool, a
 * dense layer and a separate softmax Activation.
 */
export function functionalModel(seed = 2, channels = 1): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed + i });
  const input = tf.input({ shape: [10, 10, channels], name: 'image' });
  let x = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      name: 'c1',
      kernelInitializer: init(0),
      biasInitializer: 'ones',
    })
    .apply(input);
  x = tf.layers.activation({ activation: 'relu', name: 'c1_relu' }).apply(x);
  x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 2,
      strides: 2,
      padding: 'valid',
      name: 'c2',
      kernelInitializer: init(1),
    })
    .apply(x);
  x = tf.layers.activation({ activation: 'relu', name: 'c2_relu' }).apply(x);
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x);
  x = tf.layers.dense({ units: 3, name: 'logits', kernelInitializer: init(2) }).apply(x);
  const out = tf.layers.activation({ activation: 'softmax', name: 'probs' }).apply(x);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor, name: 'func' });
}

/** Saves a model as model.json + one weights shard in `dir`. */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  labels?: string[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData as ArrayBuffer;
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      await writeFile(path.join(dir, 'group1-shard1of1.bin'), Buffer.from(weights));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (labels) await writeFile(path.join(dir, 'labels.json'), JSON.stringify(labels));
  return dir;
}
