/**
 * Bench worker for the whole-machine scan case: builds VGG16 without its top (random weights)
 * on its own WASM backend, then for a task runs one warm-up and `repeats` timed forward passes
 * of a batch to block5_pool (the patch scan's fused inference path) and returns images/s.
 */
import * as tf from '@tensorflow/tfjs';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { VisModel } from '../src/core/models/vis-model.js';
import { initBackend } from '../src/node/backend.js';
import { serveTasks } from '../src/node/worker-pool-serve.js';

export interface ScanTask {
  size: number;
  batch: number;
  repeats: number;
}

serveTasks<ScanTask, number>(async ({ size, batch, repeats }) => {
  await initBackend('wasm', () => undefined);
  const model = new VisModel(buildVgg('vgg16', { includeTop: false, size, seed: 0 }), {
    input: { preprocess: 'caffe' },
  });
  const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const pass = () =>
    tf.tidy(() =>
      model.activations(images, ['block5_pool'], { inference: true }).block5_pool.dataSync(),
    );
  pass();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) pass();
  const rate = (batch * repeats) / ((performance.now() - start) / 1000);
  images.dispose();
  model.dispose();
  return rate;
});
