import { describe, expect, it } from 'vitest';
import { caption, visualizeGrid, type GridItem } from './visualize-grid.js';

const filter = (layer: string, channel: number, neuron = false): GridItem => ({
  spec: neuron ? { kind: 'neuron', layer, channel } : { kind: 'channel', layer, channel },
  index: channel,
  layer,
});

describe('activation-maximization grid', () => {
  it('a neuron run is titled differently from a channel run', () => {
    const channels = [filter('block2_conv2', 0), filter('block2_conv2', 1)];
    const neurons = [filter('block2_conv2', 0, true), filter('block2_conv2', 1, true)];
    const best = [0.5, 0.7];
    const a = visualizeGrid('embedded', channels, best, 'lucid, 512 steps', { scale: 4 });
    const b = visualizeGrid('embedded', neurons, best, 'lucid, 512 steps', { scale: 4 });
    expect(a.title).toBe(
      "embedded · block2_conv2 · mean of each filter's channel · lucid, 512 steps",
    );
    expect(b.title).toBe(
      'embedded · block2_conv2 · center neuron of each filter · lucid, 512 steps',
    );
    expect(a.notes).toEqual([]);
  });

  it('dead filters (best activation 0) are named in the caption and in a note', () => {
    const items = [filter('block2_conv2', 6), filter('block2_conv2', 7), filter('block3_conv2', 5)];
    const best = [1.04, 0, 0];
    const grid = visualizeGrid('embedded', items, best, 'lucid, 512 steps', { scale: 4 });
    expect(grid.rowLabels).toEqual(['block2_conv2', 'block3_conv2']);
    expect(grid.notes).toHaveLength(1);
    expect(grid.notes![0]).toMatch(/^dead: activation 0 at every step/);
    expect(grid.notes![0]).toMatch(/block2_conv2 7, block3_conv2 5$/);
    expect(caption(items[0], 1.04)).toBe('6 a=1.04');
    expect(caption(items[1], 0)).toBe('7 dead (a=0)');
  });

  it('class tiles carry the class name and a labelled probability', () => {
    const sneaker: GridItem = {
      spec: { kind: 'class', index: 7, label: 'Sneaker' },
      index: 7,
      label: 'Sneaker',
    };
    const unnamed: GridItem = { spec: { kind: 'class', index: 3 }, index: 3 };
    expect(caption(sneaker, -2, 0.93456)).toBe('Sneaker\np = 0.935');
    expect(caption(unnamed, 5, 0.5)).toBe('class 3\np = 0.500');
    // A negative logit is no dead filter.
    expect(caption(unnamed, -1)).toBe('class 3 a=-1.00');
    const grid = visualizeGrid('embedded', [sneaker, unnamed], [-2, 5], 'mean-prior, 256 steps', {
      scale: 4,
      probability: [0.93, 0.5],
    });
    expect(grid.title).toBe('embedded · class logits · mean-prior, 256 steps');
    expect(grid.notes).toEqual(['p: the probability the model gives the class for this image']);
  });
});
