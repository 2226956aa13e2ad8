/**
 * The zoo records: the published files and sizes, mirror URLs as CLI.md lays them out, the
 * ImageNet class index, validation of extra records, and architectures built from records.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IMAGENET_LABELS,
  ZOO,
  buildZooArchitecture,
  findZooRecord,
  parseImagenetLabels,
  parseZooRecords,
  zooFileUrl,
} from './zoo.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('zoo records', () => {
  it('lists the four Keras VGG files with their URLs, sizes, MD5s and caffe preprocessing', () => {
    expect(ZOO.map((r) => r.name)).toEqual(['vgg16', 'vgg16-notop', 'vgg19', 'vgg19-notop']);
    const notop = findZooRecord('vgg16-notop');
    expect(zooFileUrl(notop.weights)).toBe(
      'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    );
    expect(notop.weights.bytes).toBe(58_889_256);
    expect(notop.labels).toBeUndefined();
    expect(findZooRecord('vgg19').weights.path).toBe(
      'vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5',
    );
    expect(findZooRecord('vgg16').labels).toBe(IMAGENET_LABELS);
    for (const record of ZOO) {
      expect(record.preprocess).toBe('caffe');
      expect(record.architecture.size).toBe(224);
      expect(record.weights.hash?.value).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(zooFileUrl(IMAGENET_LABELS)).toBe(
      'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json',
    );
  });

  it('puts files under a mirror with their original names (CONVSCOPE_MIRROR)', () => {
    const notop = findZooRecord('vgg16-notop');
    for (const mirror of ['http://mirror.local/keras', 'http://mirror.local/keras/']) {
      expect(zooFileUrl(notop.weights, mirror)).toBe(
        'http://mirror.local/keras/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
      );
      expect(zooFileUrl(IMAGENET_LABELS, mirror)).toBe(
        'http://mirror.local/keras/imagenet_class_index.json',
      );
    }
  });

  it('names the known models when one is unknown', () => {
    expect(() => findZooRecord('vgg61')).toThrow(
      "unknown zoo model 'vgg61'; the zoo has: vgg16, vgg16-notop, vgg19, vgg19-notop",
    );
  });

  it('reads the ImageNet class index in index order, and rejects other JSON', () => {
    const text = JSON.stringify({ '1': ['n01443537', 'goldfish'], '0': ['n01440764', 'tench'] });
    expect(parseImagenetLabels(text)).toEqual(['tench', 'goldfish']);
    expect(() => parseImagenetLabels('["tench"]')).toThrow(/not an ImageNet class index/);
    expect(() => parseImagenetLabels('{"0": ["n0", "a"], "2": ["n2", "c"]}')).toThrow(
      /not an ImageNet class index/,
    );
    expect(() => parseImagenetLabels('<html>')).toThrow(/not an ImageNet class index/);
  });

  it('validates extra records and fills defaults', () => {
    const [record] = parseZooRecords(
      [
        {
          name: 'tiny',
          architecture: { family: 'vgg19', includeTop: false, size: 32, widthDivisor: 16 },
          weights: { base: 'http://x/', path: 'tiny.h5', bytes: 10 },
        },
      ],
      'zoo.json',
    );
    expect(record).toMatchObject({ name: 'tiny', preprocess: 'caffe', description: 'tiny' });
    expect(() => parseZooRecords({}, 'zoo.json')).toThrow(/zoo\.json: expected a JSON array/);
    expect(() => parseZooRecords([{ name: 'a b' }], 'zoo.json')).toThrow(/record 0 needs a name/);
    expect(() =>
      parseZooRecords([{ name: 'x', architecture: { family: 'resnet', size: 1 } }], 'zoo.json'),
    ).toThrow(/'x' needs architecture/);
  });

  it('builds the architecture a record names (Keras layer names, reduced width)', () => {
    const [record] = parseZooRecords(
      [
        {
          name: 'tiny',
          architecture: { family: 'vgg19', includeTop: false, size: 32, widthDivisor: 16 },
          weights: { base: 'http://x/', path: 'tiny.h5' },
        },
      ],
      'zoo.json',
    );
    const model = buildZooArchitecture(record);
    expect(model.layers.map((l) => l.name)).toContain('block5_conv4');
    expect(model.getLayer('block1_conv1').getWeights()[0].shape).toEqual([3, 3, 3, 4]);
    expect(model.outputs[0].shape).toEqual([null, 1, 1, 32]);
    model.dispose();
  });
});
