/** The `--objective` expression language: what each form parses to, and errors that point. */
import { describe, expect, it } from 'vitest';
import type { ObjectiveSpec } from './objective-spec.js';
import { formatObjectiveExpression, parseObjectiveExpression } from './objective-expression.js';

const LABELS = ['tench', 'goldfish', 'bell pepper'];
const resolve = (name: string) => {
  const index = /^\d+$/.test(name) ? Number(name) : LABELS.indexOf(name);
  if (index < 0 || index >= LABELS.length) throw new Error(`unknown class '${name}'`);
  return { index, label: LABELS[index] };
};
const parse = (text: string) => parseObjectiveExpression(text, resolve);
const unit = (layer: string, channel: number): ObjectiveSpec => ({
  kind: 'channel',
  layer,
  channel,
});

describe('parseObjectiveExpression', () => {
  it('reads units, functions, factors, sums and differences', () => {
    expect(parse('block4_conv3:12')).toEqual(unit('block4_conv3', 12));
    expect(parse('block4_conv3:12 + 0.5*neuron(block5_conv1:3) - 1e-3*tv')).toEqual({
      kind: 'sum',
      terms: [
        unit('block4_conv3', 12),
        {
          kind: 'scale',
          factor: 0.5,
          objective: { kind: 'neuron', layer: 'block5_conv1', channel: 3 },
        },
        { kind: 'scale', factor: -1e-3, objective: { kind: 'total-variation' } },
      ],
    });
    expect(parse('deepdream(block3_conv1)')).toEqual({ kind: 'deepdream', layer: 'block3_conv1' });
    expect(parse('class(bell pepper)')).toEqual({ kind: 'class', index: 2, label: 'bell pepper' });
    expect(parse('class( 1 )')).toEqual({ kind: 'class', index: 1, label: 'goldfish' });
    expect(parse('neuron(a:1, 2, 3)')).toEqual({
      kind: 'neuron',
      layer: 'a',
      channel: 1,
      y: 2,
      x: 3,
    });
    expect(parse('-channel(features.28:4)')).toEqual({
      kind: 'negate',
      objective: unit('features.28', 4),
    });
    expect(parse("'conv-1':3 * 2 - lp(1.5) - l2 + diversity(b) - tv()")).toEqual({
      kind: 'sum',
      terms: [
        { kind: 'scale', factor: 2, objective: unit('conv-1', 3) },
        { kind: 'negate', objective: { kind: 'lp', p: 1.5 } },
        { kind: 'negate', objective: { kind: 'lp', p: 2 } },
        { kind: 'diversity', layer: 'b' },
        { kind: 'negate', objective: { kind: 'total-variation' } },
      ],
    });
    // Parentheses group; minus a negation is the term itself.
    expect(parse('2*(a:0 - -a:1)')).toEqual({
      kind: 'scale',
      factor: 2,
      objective: { kind: 'sum', terms: [unit('a', 0), unit('a', 1)] },
    });
  });

  it('refuses bad input with the column and what was expected there', () => {
    const cases: [string, RegExp][] = [
      ['', /column 1 \(the end\): the objective is empty/],
      [
        'block4_conv3',
        /column 13 \(the end\): expected ':' and a channel after layer 'block4_conv3'/,
      ],
      ['a:1 +', /column 6 \(the end\): expected a unit \(layer:channel\), a function or a number/],
      ['a:1 b:2', /column 5 \('b:2'\): expected '\+', '-' or the end/],
      ['0.5 tv', /column 5 \('tv'\): expected '\*' after the factor 0.5/],
      ['frobnicate(a)', /column 1 \('frobnicate\(a'\): unknown function 'frobnicate'/],
      ['neuron(a:1, 2)', /column 14 \('\)'\): expected ',' between y and x/],
      ['a:x', /column 3 \('x'\): expected a channel of 'a' \(a whole number\)/],
      ['(a:1', /column 5 \(the end\): expected '\)' to close the parenthesis/],
      ['lp(0)', /expected the p of lp\(p\), a positive number/],
      ['class(tuna)', /column 7 \('tuna\)'\): .*unknown class 'tuna'/],
      ["'a:1", /the quoted layer name is not closed/],
    ];
    for (const [text, message] of cases) expect(() => parse(text), text).toThrow(message);
    // The hint shows an example and the functions.
    const error = (() => {
      try {
        return parse('a:');
      } catch (e) {
        return e as { hint?: string };
      }
    })() as { hint?: string };
    expect(error.hint).toMatch(/e\.g\. --objective .*functions: channel/);
  });

  it('reads back what formatObjectiveExpression writes', () => {
    const specs: ObjectiveSpec[] = [
      parse('block4_conv3:12 + 0.5*neuron(block5_conv1:3, 1, 2) - 1e-7*tv'),
      parse("-(a:1 - 2*deepdream('conv-1')) + class(2) - lp(3) + l1 + 3*(diversity(b) + l2)"),
    ];
    for (const spec of specs) expect(parse(formatObjectiveExpression(spec))).toEqual(spec);
    // A hand-built spec comes back in the parser's form: minus a scale is the negated factor.
    const handBuilt: ObjectiveSpec = {
      kind: 'negate',
      objective: { kind: 'scale', factor: -0.25, objective: unit('a', 0) },
    };
    expect(formatObjectiveExpression(handBuilt)).toBe('--0.25*a:0');
    expect(parse(formatObjectiveExpression(handBuilt))).toEqual({
      kind: 'scale',
      factor: 0.25,
      objective: unit('a', 0),
    });
    expect(formatObjectiveExpression(specs[0])).toBe(
      'block4_conv3:12 + 0.5*neuron(block5_conv1:3, 1, 2) - 1e-7*tv',
    );
  });
});
