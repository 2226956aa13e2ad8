/**
 * The colour stage and the parameterization records: values by hand (sigmoid of the colour
 * map plus logit(centre), clip of centre plus value), the inverse that lets an identity basis
 * start from an image, the slope `gain`, the fused engine's constants, and every
 * `--parameterization` choice round-tripping through its spec.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { getPreset } from '../optimize/presets.js';
import { colorDecorrelationMatrix, colourStage } from './colour-stage.js';
import {
  PARAMETERIZATION_CHOICES,
  PARAMETERIZATION_TITLES,
  choiceOf,
  createParameterization,
  specForChoice,
} from './registry.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const shape = [1, 1, 2, 3] as const;

describe('colourStage', () => {
  it('maps through decorrelated colour and a sigmoid around the centre, by hand', async () => {
    const stage = colourStage([...shape], { decorrelate: true, range: 'sigmoid', center: 0.25 });
    const x = [0.3, -0.2, 0.5, -1, 0, 2];
    const out = Array.from(await stage.apply(tf.tensor4d(x, [...shape])).data());
    const m = colorDecorrelationMatrix();
    const logit = Math.log(0.25 / 0.75);
    const expected = [0, 1].flatMap((p) =>
      m.map((row) => sigmoid(row.reduce((a, v, j) => a + v * x[p * 3 + j], 0) + logit)),
    );
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    stage.dispose();
  });

  it('clips centre + value, and projects a pixel variable into range', async () => {
    const stage = colourStage([1, 1, 2, 1], { decorrelate: false, range: 'clip', center: 0.5 });
    const out = await stage.apply(tf.tensor4d([0.7, -0.2], [1, 1, 2, 1])).data();
    expect(Array.from(out)).toEqual([1, Math.fround(0.3)]);
    const v = tf.variable(tf.tensor4d([0.7, -0.6], [1, 1, 2, 1]));
    stage.project!(v);
    expect(Array.from(await v.data())).toEqual([0.5, -0.5]);
    expect(stage.gain).toBe(1);
  });

  it('inverts itself, so a pixel basis starts from a given image (decorrelated too)', async () => {
    for (const range of ['sigmoid', 'clip'] as const) {
      const stage = colourStage([...shape], { decorrelate: true, range, center: 0.4 });
      const image = tf.tensor4d([0.1, 0.5, 0.9, 0.3, 0.6, 0.2], [...shape]);
      const back = await stage.apply(stage.invert(image)).data();
      Array.from(back).forEach((v, i) => expect(v).toBeCloseTo(image.dataSync()[i], 4));
      stage.dispose();
    }
  });

  it('gives its slope at the centre as `gain` (a basis scales its noise by it)', async () => {
    const stage = colourStage([1, 1, 1, 1], { decorrelate: false, range: 'sigmoid' });
    const h = 1e-3;
    const [up, down] = await Promise.all(
      [h, -h].map((d) => stage.apply(tf.tensor4d([d], [1, 1, 1, 1])).data()),
    );
    expect((up[0] - down[0]) / (2 * h)).toBeCloseTo(stage.gain, 3);
  });

  it('gives a fused engine its colour rows and planar logit offset', async () => {
    const centre = tf.tensor4d([0.2, 0.5, 0.8, 0.5, 0.5, 0.5], [...shape]);
    const stage = colourStage([...shape], { decorrelate: true, range: 'sigmoid', center: centre });
    const { colour, offset } = await stage.fused();
    expect(colour).toEqual(colorDecorrelationMatrix());
    // Channel-major: channel 0 holds pixels 0 and 1.
    const logit = (c: number) => Math.log(c / (1 - c));
    expect(Array.from(offset).map((v) => +v.toFixed(4))).toEqual(
      [0.2, 0.5, 0.5, 0.5, 0.8, 0.5].map((c) => +logit(c).toFixed(4)),
    );
  });
});

describe('parameterization records', () => {
  it('round-trip every --parameterization choice through its spec', () => {
    const start = getPreset('lucid').settings.parameterization;
    for (const name of [
      'fourier',
      'fourier-rgb',
      'pixel',
      'pixel-linear',
      'pixel-decorrelated',
      'maco',
    ]) {
      expect(PARAMETERIZATION_CHOICES).toContain(name);
    }
    for (const choice of PARAMETERIZATION_CHOICES) {
      expect(choiceOf(specForChoice(choice, start))).toBe(choice);
    }
    expect(() => specForChoice('wavelet', start)).toThrow(/unknown parameterization 'wavelet'/);
    // Every choice says what it is (the workbench's tooltips).
    expect(Object.keys(PARAMETERIZATION_TITLES)).toEqual([...PARAMETERIZATION_CHOICES]);
    expect(PARAMETERIZATION_TITLES['fourier']).toMatch(/decorrelated colour, sigmoid/);
  });

  it('build decorrelated pixels that start from the given image', async () => {
    const init = tf.randomUniform([1, 4, 4, 3], 0.05, 0.95, 'float32', 3) as tf.Tensor4D;
    const spec = specForChoice('pixel-decorrelated', getPreset('lucid').settings.parameterization);
    const p = createParameterization(spec, {
      shape: { batch: 2, height: 4, width: 4, channels: 3 },
      seed: 1,
      init,
    });
    expect(p.kind).toBe('pixel-sigmoid-decorrelated');
    expect(p.takesInit).toBe(true);
    expect(p.pixels).toBeUndefined(); // Yosinski's operations need plain clipped pixels
    const image = await p.image().data();
    const want = await tf.tile(init, [2, 1, 1, 1]).data();
    Array.from(image).forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    p.dispose();
  });
});
