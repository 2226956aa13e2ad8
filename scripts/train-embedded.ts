/**
 * Trains convscope's embedded default model: a small VGG-style CNN on Fashion-MNIST, on the WASM
 * backend (single-threaded in Node), deterministically (seeded initializers and data order).
 * Run with `npm run train:embedded`; it needs Debian's `dataset-fashion-mnist` package and
 * regenerates everything it owns: models/embedded/ (TF.js layers model, labels, training
 * record, confusion matrix, model card) and the image samples under samples/.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { clearGradientCache } from '../src/core/kernel-patches/register.js';
import { initBackend } from '../src/node/backend.js';
import { drawConfusionMatrix } from '../src/node/draw-confusion-matrix.js';
import sharp from 'sharp';
import {
  FASHION_MNIST_CLASSES,
  loadFashionMnist,
  meanImage,
} from '../src/node/datasets/fashion-mnist.js';
import type { FashionMnist } from '../src/node/datasets/fashion-mnist.js';
import { exportSamples } from './export-samples.js';

// Pinned hyper-parameters: change them here, rerun, and commit the regenerated outputs.
const SEED = 20240611;
const BLOCKS = [
  [16, 16],
  [32, 32],
  [64, 64],
];
const FC_UNITS = 128;
const EPOCHS = 5;
const BATCH_SIZE = 128;
// Adam with a per-step cosine decay from LEARNING_RATE to MIN_LEARNING_RATE.
const LEARNING_RATE = 2e-3;
const MIN_LEARNING_RATE = 5e-5;
const BACKEND = 'wasm';

const ROOT = process.cwd();
const OUT_DIR = join(ROOT, 'models', 'embedded');
const WEIGHTS_FILE = 'weights.bin';
const CLASSES = FASHION_MNIST_CLASSES.length;
const PIXELS = 28 * 28;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** mulberry32: a tiny seeded generator, so the data order is the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(values: Uint32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}

function buildModel(): tf.Sequential {
  const model = tf.sequential({ name: 'convscope_fashion_mnist' });
  let seed = SEED;
  const init = () => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
    biasInitializer: tf.initializers.zeros(),
  });
  BLOCKS.forEach((filters, b) => {
    filters.forEach((f, c) => {
      model.add(
        tf.layers.conv2d({
          ...(b === 0 && c === 0 ? { inputShape: [28, 28, 1] } : {}),
          name: `block${b + 1}_conv${c + 1}`,
          filters: f,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          ...init(),
        }),
      );
    });
    model.add(tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: FC_UNITS, activation: 'relu', ...init() }));
  // No dropout: tfjs' seeded dropout draws the same mask on every step.
  model.add(
    tf.layers.dense({ name: 'predictions', units: CLASSES, activation: 'softmax', ...init() }),
  );
  return model;
}

/** Images `indices[start..end)` as an [n, 28, 28, 1] tensor in [0, 1], with one-hot labels. */
function batch(data: FashionMnist, indices: ArrayLike<number>, start: number, end: number) {
  const n = end - start;
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[start + k];
    const image = data.images.subarray(i * PIXELS, (i + 1) * PIXELS);
    for (let p = 0; p < PIXELS; p++) pixels[k * PIXELS + p] = image[p] / 255;
    labels[k] = data.labels[i];
  }
  return { x: tf.tensor4d(pixels, [n, 28, 28, 1]), labels };
}

// Keras' categorical cross-entropy on softmax outputs (clipped, so log never sees 0).
function crossEntropy(labels: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  const clipped = tf.clipByValue(probs, 1e-7, 1 - 1e-7);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(clipped)), -1))) as tf.Scalar;
}

interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  seconds: number;
  finalLearningRate: number;
}

async function train(model: tf.Sequential, data: FashionMnist): Promise<EpochRecord[]> {
  const optimizer = tf.train.adam(LEARNING_RATE);
  // Adam reads `learningRate` on every step; tfjs only hides it behind `protected`.
  const schedule = optimizer as unknown as { learningRate: number };
  const random = seededRandom(SEED);
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  const steps = Math.ceil(data.count / BATCH_SIZE);
  const records: EpochRecord[] = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    shuffle(order, random);
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < steps; s++) {
      const progress = ((epoch - 1) * steps + s) / (EPOCHS * steps);
      schedule.learningRate =
        MIN_LEARNING_RATE +
        0.5 * (LEARNING_RATE - MIN_LEARNING_RATE) * (1 + Math.cos(Math.PI * progress));
      const start = s * BATCH_SIZE;
      const end = Math.min(start + BATCH_SIZE, data.count);
      const { x, labels } = batch(data, order, start, end);
      const [loss, hits] = tf.tidy(() => {
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
        let hitCount: tf.Scalar | undefined;
        const value = optimizer.minimize(() => {
          const probs = model.apply(x, { training: true }) as tf.Tensor;
          const equal = tf.equal(tf.argMax(probs, -1), tf.argMax(y, -1));
          hitCount = tf.keep(tf.sum(tf.cast(equal, 'int32')) as tf.Scalar);
          return crossEntropy(y, probs);
        }, true)!;
        return [value, hitCount!];
      });
      lossSum += (await loss.data())[0] * (end - start);
      correct += (await hits.data())[0];
      tf.dispose([x, loss, hits]);
      // The fast input gradient caches transposed kernels by weight data id; weights change on
      // every step, so those entries are never reused in training.
      clearGradientCache();
      if ((s + 1) % 100 === 0) {
        const seconds = (performance.now() - started) / 1000;
        log(
          `  epoch ${epoch} step ${s + 1}/${steps}  loss ${(lossSum / end).toFixed(4)}  ${seconds.toFixed(0)} s`,
        );
      }
    }
    const record: EpochRecord = {
      epoch,
      loss: lossSum / data.count,
      trainAccuracy: correct / data.count,
      seconds: (performance.now() - started) / 1000,
      finalLearningRate: schedule.learningRate,
    };
    records.push(record);
    log(
      `epoch ${epoch}/${EPOCHS}  loss ${record.loss.toFixed(4)}  train acc ` +
        `${(record.trainAccuracy * 100).toFixed(2)}%  ${record.seconds.toFixed(1)} s`,
    );
  }
  return records;
}

/** Predicted class of every image, in batches of 500. */
async function predict(model: tf.LayersModel, data: FashionMnist): Promise<Uint8Array> {
  const out = new Uint8Array(data.count);
  const all = Uint32Array.from({ length: data.count }, (_, i) => i);
  for (let start = 0; start < data.count; start += 500) {
    const end = Math.min(start + 500, data.count);
    const { x } = batch(data, all, start, end);
    const classes = tf.tidy(() => tf.argMax(model.predict(x, { batchSize: 500 }) as tf.Tensor, -1));
    out.set(await classes.data(), start);
    tf.dispose([x, classes]);
  }
  return out;
}

/** Writes model.json and one weights shard with node:fs, in TF.js' layers-model format. */
async function saveModel(model: tf.LayersModel): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(OUT_DIR, 'model.json'), `${JSON.stringify(modelJson)}\n`);
      await writeFile(join(OUT_DIR, WEIGHTS_FILE), Buffer.from(weightData));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

function modelCard(model: tf.LayersModel, record: Record<string, unknown>): string {
  const shape = (s: unknown) => (s as (number | null)[]).slice(1).join(' × ');
  const rows = model.layers.map(
    (l) =>
      `| \`${l.name}\` | ${l.getClassName()} | ${shape(l.outputShape)} | ` +
      `${l.countParams().toLocaleString('en-US')} |`,
  );
  const percent = (v: unknown) => `${((v as number) * 100).toFixed(2)}%`;
  const perClass = record.perClassAccuracy as Record<string, number>;
  return `# convscope embedded model: Fashion-MNIST CNN

The offline default model of convscope: a small VGG-style convolutional network trained on
Fashion-MNIST, small enough (${record.sizeBytes} bytes of weights and topology) to ship inside the
npm package, so every command and the workbench work without a network connection.

## Architecture

Input: 28 × 28 × 1 grayscale images scaled to [0, 1] (pixel / 255), black background.
Every convolution is 3 × 3, stride 1, \`same\` padding, with its ReLU fused into the layer.

| Layer | Type | Output shape | Parameters |
| --- | --- | --- | ---: |
${rows.join('\n')}

Total parameters: **${model.countParams().toLocaleString('en-US')}** (float32).

## Results

- Test accuracy (10,000 test images): **${percent(record.testAccuracy)}**
- Accuracy on the committed 1,000-image sample (\`samples/fashion-mnist/\`): ${percent(record.sampleAccuracy)}
- Training time: ${(record.trainSeconds as number).toFixed(0)} s (${record.backend} backend, single thread)

| Class | Test accuracy |
| --- | ---: |
${FASHION_MNIST_CLASSES.map((n, i) => `| ${i} ${n} | ${percent(perClass[n])} |`).join('\n')}

![Confusion matrix on the test set](confusion-matrix.png)

## Training

Reproduce with \`npm run train:embedded\` (needs \`apt-get install dataset-fashion-mnist\`); the
script regenerates this folder and \`samples/\`. Hyper-parameters, per-epoch loss and timings,
the confusion matrix and versions are in [training.json](training.json). \`mean.png\` is the
training set's mean image: activation maximization centres its pixel space on it.

- Optimizer: Adam, learning rate ${LEARNING_RATE} with per-step cosine decay to ${MIN_LEARNING_RATE}
- Batch size ${BATCH_SIZE}, ${EPOCHS} epochs over the 60,000 training images, no augmentation
- Seed ${SEED} for every initializer (Glorot uniform kernels, zero biases) and the data order
- TensorFlow.js ${record.tfjsVersion}

## Data

Fashion-MNIST by Zalando Research (Xiao, Rasul and Vollgraf, 2017), MIT license, read from the
Debian package \`dataset-fashion-mnist\`. Classes, by label:

${FASHION_MNIST_CLASSES.map((n, i) => `${i}. ${n}`).join('\n')}

## Intended use

The offline default model of convscope, for visualizing filters, feature maps, activation
maximization, top-9 patches and deconvnet reconstructions, and for tests and demos. It is not
meant for classifying real clothing photos: it only knows centred 28 × 28 grayscale items on a
black background.
`;
}

async function main(): Promise<void> {
  const scriptStart = performance.now();
  const backend = await initBackend(BACKEND);
  const [trainSet, testSet] = await Promise.all([
    loadFashionMnist('train'),
    loadFashionMnist('test'),
  ]);
  log(`backend ${backend}, ${trainSet.count} train / ${testSet.count} test images`);
  const model = buildModel();
  log(`${model.countParams()} parameters`);

  const trainStart = performance.now();
  const epochs = await train(model, trainSet);
  const trainSeconds = (performance.now() - trainStart) / 1000;

  const predicted = await predict(model, testSet);
  const confusion = Array.from({ length: CLASSES }, () => new Array<number>(CLASSES).fill(0));
  for (let i = 0; i < testSet.count; i++) confusion[testSet.labels[i]][predicted[i]]++;
  const hits = confusion.reduce((sum, row, i) => sum + row[i], 0);
  const testAccuracy = hits / testSet.count;
  log(`test accuracy ${(testAccuracy * 100).toFixed(2)}%`);

  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const samples = await exportSamples(testSet, ROOT);
  const sampleHits = samples.filter((s) => predicted[s.testIndex] === s.label).length;
  await saveModel(model);
  const sizeBytes =
    (await readFile(join(OUT_DIR, 'model.json'))).length +
    (await readFile(join(OUT_DIR, WEIGHTS_FILE))).length;

  const record = {
    model: model.name,
    parameters: model.countParams(),
    sizeBytes,
    hyperParameters: {
      optimizer: 'adam',
      learningRate: LEARNING_RATE,
      learningRateSchedule: 'cosine decay per step',
      minLearningRate: MIN_LEARNING_RATE,
      batchSize: BATCH_SIZE,
      epochs: EPOCHS,
      blocks: BLOCKS,
      fcUnits: FC_UNITS,
      loss: 'categorical cross-entropy',
      inputScaling: 'pixel / 255',
    },
    seed: SEED,
    history: epochs,
    trainSeconds,
    testAccuracy,
    testCount: testSet.count,
    sampleAccuracy: sampleHits / samples.length,
    sampleCount: samples.length,
    classes: [...FASHION_MNIST_CLASSES],
    confusionMatrix: confusion,
    perClassAccuracy: Object.fromEntries(
      FASHION_MNIST_CLASSES.map((n, i) => [
        n,
        confusion[i][i] / confusion[i].reduce((a, b) => a + b),
      ]),
    ),
    tfjsVersion: tf.version.tfjs,
    backend,
    date: new Date().toISOString(),
  };
  // The training set's mean image: activation maximization centres its pixel space on it.
  await sharp(Buffer.from(meanImage(trainSet).map((v) => Math.round(v * 255))), {
    raw: { width: 28, height: 28, channels: 1 },
  })
    .png()
    .toFile(join(OUT_DIR, 'mean.png'));
  await writeFile(join(OUT_DIR, 'labels.json'), `${JSON.stringify(FASHION_MNIST_CLASSES)}\n`);
  await writeFile(join(OUT_DIR, 'training.json'), `${JSON.stringify(record, null, 2)}\n`);
  await drawConfusionMatrix(
    confusion,
    FASHION_MNIST_CLASSES,
    join(OUT_DIR, 'confusion-matrix.png'),
    'Fashion-MNIST test set: confusion matrix',
  );
  await writeFile(join(OUT_DIR, 'MODEL_CARD.md'), modelCard(model, record));
  const total = (performance.now() - scriptStart) / 1000;
  log(`wrote ${OUT_DIR} (${sizeBytes} bytes of model) and samples/ in ${total.toFixed(0)} s total`);
}

await main();
