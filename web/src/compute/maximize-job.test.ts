/**
 * The workbench's worker job takes any objective as data: a composite spec (channel, scaled
 * neuron, deepdream, a total-variation penalty on the input), sent as JSON the way the page
 * posts it, gives the same best images and scores as core's `maximize` on the objective built
 * by hand with the constructors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { VisModel } from '../../../src/core/models/vis-model.js';
import {
  channel,
  deepdream,
  neuron,
  scale,
  sum,
  totalVariation,
} from '../../../src/core/objectives/objective.js';
import { maximize, type MaximizeResult } from '../../../src/core/optimize/maximize.js';
import { resolveRun } from '../../../src/core/optimize/resolve-run.js';
import { MaximizeJob } from './maximize-job.js';
import { batchImage } from './images.js';

function tinyModel(): VisModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: 20 + i });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv1',
        kernelInitializer: init(0),
      }),
      tf.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv2',
        kernelInitializer: init(1),
      }),
    ],
  });
  return new VisModel(model, { name: 'tiny' });
}

// TF.js' own CPU backend: the web build has no Node types for src/node's backend setup.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('MaximizeJob', () => {
  it('runs a composite objective spec like core runs the hand-built objective', async () => {
    const model = tinyModel();
    const handBuilt = [
      sum(channel('conv2', 1), scale(neuron('conv1', 2), 0.5), scale(totalVariation(), -0.1)),
      deepdream('conv1'),
    ];
    const request = {
      objectives: JSON.parse(JSON.stringify(handBuilt.map((o) => o.spec))),
      preset: 'lucid',
      overrides: { steps: 6, size: 16 },
      seed: 4,
      frameEvery: 3,
    };
    const done = await new MaximizeJob().run(model, request, () => undefined);
    // The model as the job resolves it (it takes any size; 16 px keeps the CPU backend quick).
    const run = await resolveRun(model, 'lucid', { steps: 6, size: 16 });
    let result: MaximizeResult | undefined;
    const frames = maximize(run.model, handBuilt, run.settings, { seed: 4, frameEvery: 3 });
    for await (const frame of frames) {
      result = frame.result ?? result;
    }
    expect(done.steps).toBe(6);
    expect(done.bestScores).toEqual(result!.bestScores);
    done.best.forEach((image, i) =>
      expect(Array.from(image.data)).toEqual(Array.from(batchImage(result!.best, i).data)),
    );
    if (run.resized) run.model.dispose();
    model.dispose();
  });
});
