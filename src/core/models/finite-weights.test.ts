/**
 * The finite-weights check: a clean model passes, a NaN or an Infinity anywhere is found and
 * counted exactly with the weight's file name, a sum that only overflows (every value finite)
 * is not a false alarm, the error names the first bad weight and how many more there are, and
 * the check leaves no tensors behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sequentialModel } from '../../../test/helpers/fixture-models.js';
import { ConvscopeError } from '../errors.js';
import { assertFiniteWeights, nonFiniteWeights } from './finite-weights.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** `sequentialModel()` with `edit` applied to the values of weight `index` of layer `layer`. */
function withEdit(layer: string, index: number, edit: (values: Float32Array) => void) {
  const model = sequentialModel();
  const target = model.getLayer(layer);
  const weights = target.getWeights();
  const values = weights[index].dataSync().slice() as Float32Array;
  edit(values);
  target.setWeights(
    weights.map((w, i) => (i === index ? tf.tensor(values, w.shape, 'float32') : w)),
  );
  return model;
}

describe('nonFiniteWeights', () => {
  it('finds nothing in a clean model', async () => {
    expect(await nonFiniteWeights(sequentialModel())).toEqual([]);
  });

  it('names and counts NaN and Infinity values per weight, in model order', async () => {
    const model = withEdit('conv_b', 0, (v) => {
      v[3] = NaN;
      v[7] = NaN;
      v[9] = -Infinity;
    });
    const bias = model.getLayer('predictions').getWeights()[1];
    const values = bias.dataSync().slice();
    values[0] = Infinity;
    model.getLayer('predictions').setWeights([
      model.getLayer('predictions').getWeights()[0],
      tf.tensor(values, bias.shape),
    ]);
    const found = await nonFiniteWeights(model);
    expect(found.map(({ name, nan, infinite }) => ({ name, nan, infinite }))).toEqual([
      { name: 'conv_b/kernel', nan: 2, infinite: 1 },
      { name: 'predictions/bias', nan: 0, infinite: 1 },
    ]);
    expect(found[0].size).toBe(model.getLayer('conv_b').getWeights()[0].size);
  });

  it('does not flag finite values whose sum overflows', async () => {
    const model = withEdit('conv_a', 0, (v) => v.fill(3e38));
    const sum = tf.sum(model.getLayer('conv_a').getWeights()[0]).dataSync()[0];
    expect(Number.isFinite(sum)).toBe(false); // the fast path alone would raise an alarm
    expect(await nonFiniteWeights(model)).toEqual([]);
  });

  it('leaves no tensors behind', async () => {
    const model = withEdit('conv_a', 1, (v) => (v[0] = NaN));
    const before = tf.memory().numTensors;
    await nonFiniteWeights(model);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('assertFiniteWeights', () => {
  it('names the first bad weight, the counts, the file and how many more are bad', async () => {
    const model = withEdit('conv_a', 0, (v) => v.fill(NaN, 0, 12));
    const bias = model.getLayer('conv_b').getWeights();
    model.getLayer('conv_b').setWeights([bias[0], tf.fill(bias[1].shape, NaN)]);
    const error = await assertFiniteWeights(model, 'models/tiny').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConvscopeError);
    expect((error as ConvscopeError).message).toBe(
      `weight 'conv_a/kernel' has 12 NaN values (of ${model.getLayer('conv_a').getWeights()[0].size}); ` +
        'the model file models/tiny is corrupt; 1 more weight holds NaN or Infinity too',
    );
    expect((error as ConvscopeError).hint).toMatch(/again/);
  });

  it('passes a clean model', async () => {
    await expect(assertFiniteWeights(sequentialModel(), 'x')).resolves.toBeUndefined();
  });
});
