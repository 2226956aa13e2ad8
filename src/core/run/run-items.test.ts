/**
 * The run record's items, stems and manifest entries, checked against values written out by
 * hand: the class grammar (names and ranges mixed, each once, in order), the stems of both
 * faces, facets, history names, the manifest entry's fields and rounding, and the drain.
 */
import { describe, expect, it } from 'vitest';
import { lastResult } from './last-result.js';
import { classItems, facetItems, channelItems, parseClassSpec } from './run-items.js';
import { historyEntry, historyFile, manifestItem, manifestLayer } from './run-manifest.js';
import { FASHION_MNIST_CLASSES } from '../../node/datasets/fashion-mnist.js';

// Fashion-MNIST's classes (the embedded model's).
const labels = [...FASHION_MNIST_CLASSES];

describe('parseClassSpec', () => {
  it('mixes names and ranges, each once, in the order given', () => {
    expect(parseClassSpec('Bag,0-2, ankle boot,1', 10, labels)).toEqual([8, 0, 1, 2, 9]);
    expect(parseClassSpec('all', 3)).toEqual([0, 1, 2]);
  });
  it('names the fix for bad classes', () => {
    expect(() => parseClassSpec('0-10', 10, labels)).toThrow(/class 10 is out of range/);
    expect(() => parseClassSpec('Sock', 10, labels)).toThrow(
      /unknown class 'Sock'; classes are: T-shirt\/top/,
    );
    expect(() => parseClassSpec('Bag', 10)).toThrow(/the model has no class names/);
    expect(() => parseClassSpec(' , ', 10)).toThrow(/no classes in/);
  });
});

describe('items and stems', () => {
  it('names channels by layer and index, classes by index and slug', () => {
    expect(channelItems('conv1', 4, '1,3', true)).toEqual([
      {
        spec: { kind: 'neuron', layer: 'conv1', channel: 1 },
        index: 1,
        layer: 'conv1',
        stem: 'conv1_1',
      },
      {
        spec: { kind: 'neuron', layer: 'conv1', channel: 3 },
        index: 3,
        layer: 'conv1',
        stem: 'conv1_3',
      },
    ]);
    expect(classItems('0,Bag', 10, labels).map((i) => [i.stem, i.label, i.spec])).toEqual([
      ['class_0_t-shirt-top', 'T-shirt/top', { kind: 'class', index: 0, label: 'T-shirt/top' }],
      ['class_8_bag', 'Bag', { kind: 'class', index: 8, label: 'Bag' }],
    ]);
    expect(classItems('2', 5).map((i) => i.stem)).toEqual(['class_2']);
    expect(() => channelItems('conv1', 4, '4')).toThrow(
      /channel 4 is out of range; layer 'conv1' has 4 channels/,
    );
  });
  it('makes facets unit-major with _d<j> stems', () => {
    const facets = facetItems(channelItems('c', 3, '0,2'), 2);
    expect(facets.map((f) => [f.stem, f.facet])).toEqual([
      ['c_0_d0', 0],
      ['c_0_d1', 1],
      ['c_2_d0', 0],
      ['c_2_d1', 1],
    ]);
    expect(facetItems(channelItems('c', 3, '0'), 1)[0]).not.toHaveProperty('facet');
  });
});

describe('manifest entries', () => {
  const outcome = {
    initial: [0.1234567891, 2],
    final: [1.5, 3],
    bestScores: [2.000000123, 4],
    bestSteps: [7, 8],
    unitScores: [1.25, 3.5],
    transformedScores: [1.9, 3.9],
    stats: [
      { saturated: 0.5, highFrequency: 0.123456789 },
      { saturated: 0, highFrequency: 0 },
    ],
  };
  it('has the fields of CLI.md, rounded to 6 digits', () => {
    const [item] = facetItems(channelItems('conv1', 4, '2'), 2);
    expect(manifestItem(item, 0, outcome, { probability: 0.5 })).toEqual({
      index: 2,
      layer: 'conv1',
      objective: 'channel conv1:2',
      spec: { kind: 'channel', layer: 'conv1', channel: 2 },
      file: 'conv1_2_d0.png',
      activation: { initial: 0.123457, final: 1.5, best: 1.25 },
      facet: 0,
      bestStep: 7,
      stats: {
        saturated: 0.5,
        highFrequency: 0.123457,
        objective: 2,
        objectiveWithTransforms: 1.9,
      },
      probability: 0.5,
    });
  });
  it('names history frames and layers', () => {
    expect(historyFile('class_3_dress', 20)).toBe('history/class_3_dress_step00020.png');
    expect(historyEntry('s', 128, 1 / 3)).toEqual({
      step: 128,
      file: 'history/s_step00128.png',
      activation: 0.333333,
    });
    expect(manifestLayer([...channelItems('a', 2, '0-1'), ...channelItems('b', 2, '0')])).toBe(
      'a,b',
    );
    expect(manifestLayer(classItems('1', 2))).toBe('logits');
  });
});

describe('lastResult', () => {
  async function* frames(withResult: boolean) {
    yield { step: 0 };
    yield { step: 1, ...(withResult ? { result: 'done' } : {}) };
  }
  it('passes every frame on and returns the result', async () => {
    const seen: number[] = [];
    expect(await lastResult(frames(true), (f) => void seen.push(f.step))).toBe('done');
    expect(seen).toEqual([0, 1]);
    await expect(lastResult(frames(false))).rejects.toThrow(/without a result/);
  });
});
