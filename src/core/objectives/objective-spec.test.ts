/**
 * Objectives as data: every kind round-trips through JSON and rebuilds the same objective;
 * rebuilt objectives score hand-computed values on tiny activation maps; bad JSON is refused
 * with the path of the bad field; the batching reads channel means (scaled, negated) from the
 * spec; specs split into network and input (penalty) parts.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { LOGITS } from '../models/forward.js';
import { splitSpec } from './input-terms.js';
import { channelMean, itemScores } from './item-scores.js';
import {
  channel,
  classLogit,
  deepdream,
  diversity,
  INPUT,
  lp,
  negate,
  neuron,
  scale,
  sum,
  totalVariation,
} from './objective.js';
import {
  objectiveFromSpec,
  readObjectiveSpec,
  specLayers,
  type ObjectiveSpec,
} from './objective-spec.js';

const tv: ObjectiveSpec = { kind: 'total-variation' };
const unit: ObjectiveSpec = { kind: 'channel', layer: 'a', channel: 1 };

/** Every kind, and the constructor call that builds the same objective. */
const EVERY_KIND: [ObjectiveSpec, () => ReturnType<typeof channel>][] = [
  [unit, () => channel('a', 1)],
  [{ kind: 'neuron', layer: 'a', channel: 0 }, () => neuron('a', 0)],
  [{ kind: 'neuron', layer: 'a', channel: 1, y: 0, x: 1 }, () => neuron('a', 1, 0, 1)],
  [{ kind: 'class', index: 2, label: 'bell pepper' }, () => classLogit(2, 'bell pepper')],
  [{ kind: 'deepdream', layer: 'a' }, () => deepdream('a')],
  [{ kind: 'diversity', layer: 'a' }, () => diversity('a')],
  [tv, () => totalVariation()],
  [{ kind: 'lp', p: 2 }, () => lp(2)],
  [{ kind: 'scale', factor: -0.5, objective: unit }, () => scale(channel('a', 1), -0.5)],
  [{ kind: 'negate', objective: unit }, () => negate(channel('a', 1))],
  [
    {
      kind: 'sum',
      terms: [unit, { kind: 'scale', factor: 2, objective: { kind: 'class', index: 0 } }, tv],
    },
    () => sum(channel('a', 1), scale(classLogit(0), 2), totalVariation()),
  ],
];

// Two images; layer a is 2x2 with 2 channels: channel 0 = [1 2; 3 4] and [0 0; 0 8],
// channel 1 = [-1 1; 1 3] and [2 2; 2 2]. Logits [1, 2, 3] and [4, 5, 6]. Input images 2x2x1.
const activations = () => ({
  a: tf.tensor4d([1, -1, 2, 1, 3, 1, 4, 3, /* image 2 */ 0, 2, 0, 2, 0, 2, 8, 2], [2, 2, 2, 2]),
  [LOGITS]: tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]),
  [INPUT]: tf.tensor4d([0, 1, 0, 1, /* image 2 */ 0.5, 0.5, 0.5, 0.5], [2, 2, 2, 1]),
});

// By hand, per image: channel a:1 mean = 1, 2; neuron a:0 at the center of a 2x2 map (0, 0)
// = 1, 0; neuron a:1 at (0, 1) = 1, 2; class 2 = 3, 6; deepdream a = mean of squares =
// (1+1+4+1+9+1+16+9)/8 = 5.25, (0+4+0+4+0+4+64+4)/8 = 10; total variation of [0 1; 0 1]:
// vertical |0-0|,|1-1| = 0, horizontal |1-0| twice = 1 -> 0 + 1 = 1, and 0 for the flat image;
// lp 2: mean (x - 0.5)^2 = 0.25 and 0.
const HAND: number[][] = [
  [1, 2],
  [1, 0],
  [1, 2],
  [3, 6],
  [5.25, 10],
  [Number.NaN, Number.NaN], // diversity: checked below
  [1, 0],
  [0.25, 0],
  [-0.5, -1],
  [-1, -2],
  [1 + 2 * 1 + 1, 2 + 2 * 4 + 0],
];

describe('objective specs', () => {
  it('round-trip through JSON for every kind and rebuild the same objective', () => {
    for (const [spec, build] of EVERY_KIND) {
      const json = JSON.parse(JSON.stringify(spec)) as unknown;
      const rebuilt = objectiveFromSpec(readObjectiveSpec(json));
      const direct = build();
      expect(rebuilt.spec).toEqual(spec);
      expect(direct.spec).toEqual(spec);
      expect(rebuilt.description).toBe(direct.description);
      expect(rebuilt.layers).toEqual(direct.layers);
      expect(specLayers(spec)).toEqual(direct.layers);
    }
  });

  it('read specs written before the rename (`index` for a channel) in the current form', () => {
    // Manifests, --objective files and queued jobs from before said `index`: the same
    // objectives, with every nested channel and neuron renamed and nothing else touched.
    const old = {
      kind: 'sum',
      terms: [
        { kind: 'channel', layer: 'a', index: 1 },
        { kind: 'negate', objective: { kind: 'neuron', layer: 'a', index: 1, y: 0, x: 1 } },
        { kind: 'scale', factor: 2, objective: { kind: 'class', index: 0 } },
      ],
    };
    const text = JSON.stringify(old);
    const read = readObjectiveSpec(JSON.parse(text));
    expect(read).toEqual({
      kind: 'sum',
      terms: [
        unit,
        { kind: 'negate', objective: EVERY_KIND[2][0] },
        { kind: 'scale', factor: 2, objective: { kind: 'class', index: 0 } },
      ],
    });
    expect(JSON.stringify(old)).toBe(text); // the caller's value is left as it was
    const [score] = tf.tidy(() => objectiveFromSpec(read).score(activations()).arraySync());
    // Image 0 by hand: channel a:1 mean 1, minus neuron a:1 at (0, 1) = 1, plus 2 x logit 0 = 1.
    expect(score).toBeCloseTo(1 - 1 + 2 * 1, 6);
    // Both names at once must agree; the old name's own errors name it.
    expect(readObjectiveSpec({ kind: 'channel', layer: 'a', channel: 4, index: 4 })).toEqual({
      kind: 'channel',
      layer: 'a',
      channel: 4,
    });
    expect(() => readObjectiveSpec({ kind: 'channel', layer: 'a', channel: 4, index: 5 })).toThrow(
      /objective\.index is the old name of objective\.channel; give one of them/,
    );
  });

  it('score the hand-computed values on tiny activations', () => {
    const acts = activations();
    EVERY_KIND.forEach(([spec], i) => {
      if (spec.kind === 'diversity') return;
      const scores = tf.tidy(() => objectiveFromSpec(spec).score(acts).arraySync());
      scores.forEach((v, j) => expect(v).toBeCloseTo(HAND[i][j], 5));
    });
    // Diversity: minus the cosine similarity of the two images' Gram matrices, for both.
    const flat = (tf.tidy(() => tf.reshape(acts.a, [2, 4, 2]).arraySync()) as number[][][]).map(
      (rows) => [0, 1].flatMap((p) => [0, 1].map((q) => rows.reduce((s, r) => s + r[p] * r[q], 0))),
    );
    const norm = (g: number[]) => Math.hypot(...g);
    const cosine =
      flat[0].reduce((s, v, k) => s + v * flat[1][k], 0) / norm(flat[0]) / norm(flat[1]);
    const diverse = tf.tidy(() => diversity('a').score(acts).arraySync());
    diverse.forEach((v) => expect(v).toBeCloseTo(-cosine, 5));
    tf.dispose(Object.values(acts));
  });

  it('refuse bad JSON with the path of the bad field', () => {
    expect(() => readObjectiveSpec({ kind: 'chanel', layer: 'a', index: 1 })).toThrow(
      /objective\.kind must be one of channel, neuron, class.*\(got "chanel"\)/,
    );
    expect(() =>
      readObjectiveSpec({
        kind: 'sum',
        terms: [unit, { kind: 'scale', factor: 'x', objective: tv }],
      }),
    ).toThrow(/objective\.terms\[1\]\.factor must be a finite number/);
    expect(() => readObjectiveSpec({ kind: 'channel', layer: 'a', channel: -1 })).toThrow(
      /objective\.channel must be a whole number/,
    );
    expect(() => readObjectiveSpec({ kind: 'channel', layer: 'a', index: 1.5 })).toThrow(
      /objective\.index must be a whole number/,
    );
    expect(() => readObjectiveSpec({ kind: 'neuron', layer: 'a' })).toThrow(
      /objective\.channel must be a whole number/,
    );
    expect(() => readObjectiveSpec({ kind: 'negate' })).toThrow(
      /objective\.objective must be an object/,
    );
    expect(() => readObjectiveSpec({ kind: 'lp', p: 0 })).toThrow(/objective\.p must be positive/);
    expect(() => readObjectiveSpec([unit])).toThrow(/objective must be an object/);
  });
});

describe('batching from the spec', () => {
  it('finds weighted channel means, and nothing else', () => {
    expect(channelMean(unit)).toEqual({ layer: 'a', channel: 1, weight: 1 });
    expect(
      channelMean({ kind: 'scale', factor: 3, objective: { kind: 'negate', objective: unit } }),
    ).toEqual({ layer: 'a', channel: 1, weight: -3 });
    for (const other of EVERY_KIND.slice(1, 8).map(([s]) => s))
      expect(channelMean(other)).toBeNull();
    expect(channelMean({ kind: 'sum', terms: [unit] })).toBeNull();
    expect(channelMean(undefined)).toBeNull();
  });

  it('scores weighted channel means in one pass like the objectives themselves', () => {
    const acts = activations();
    const objectives = [scale(channel('a', 1), -2), negate(channel('a', 0))];
    const fast = tf.tidy(() => itemScores(objectives, acts).arraySync());
    // Image 0: -2 * 1; image 1: -(mean of [0 0; 0 8]) = -2.
    expect(fast).toEqual([-2, -2].map((v) => expect.closeTo(v, 6)));
    // A hand-made objective (no spec) takes the generic path.
    const handMade = { ...channel('a', 1), spec: undefined };
    const generic = tf.tidy(() => itemScores([handMade, channel('a', 0)], acts).arraySync());
    expect(generic).toEqual([1, 2].map((v) => expect.closeTo(v, 6)));
    tf.dispose(Object.values(acts));
  });
});

describe('input terms', () => {
  it('split a spec into its network part and its part on the image', () => {
    const spec: ObjectiveSpec = {
      kind: 'sum',
      terms: [unit, { kind: 'scale', factor: -1e-3, objective: tv }],
    };
    expect(splitSpec(spec)).toEqual({
      network: unit,
      input: { kind: 'scale', factor: -1e-3, objective: tv },
    });
    expect(splitSpec({ kind: 'negate', objective: spec })).toEqual({
      network: { kind: 'negate', objective: unit },
      input: { kind: 'negate', objective: { kind: 'scale', factor: -1e-3, objective: tv } },
    });
    expect(splitSpec(unit)).toEqual({ network: unit, input: null });
    expect(splitSpec(tv)).toEqual({ network: null, input: tv });
  });
});
