import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, defaultFilters, parseState, stateQuery, type AppState } from './state.js';

describe('URL state', () => {
  it('round-trips every field through the query string', () => {
    const state: AppState = {
      model: 'url',
      modelUrl: 'https://example.org/m/model.json',
      view: 'classes',
      layer: 'block3_conv1',
      filters: '3,9,12',
      classes: '0-4',
      preset: 'yosinski-2',
      options: { steps: '64', lr: '0.01', parameterization: 'pixel' },
      seed: 7,
      image: '/samples/inputs/bag.png',
      channel: 5,
      colormap: 'gray',
      backend: 'wasm',
      threads: 2,
    };
    expect(parseState(stateQuery(state))).toEqual(state);
  });

  it('leaves defaults out of the URL and reads an empty query as the defaults', () => {
    expect(stateQuery(DEFAULT_STATE)).toBe('');
    expect(parseState('')).toEqual({ ...DEFAULT_STATE, model: undefined });
  });

  it('ignores unknown views, backends, option keys and malformed numbers', () => {
    const state = parseState('view=nope&backend=cuda&o.bogus=1&o.steps=32&seed=x&channel=-2');
    expect(state.view).toBe('filters');
    expect(state.backend).toBeUndefined();
    expect(state.options).toEqual({ steps: '32' });
    expect(state.seed).toBe(0);
    expect(state.channel).toBeUndefined();
    expect(parseState('unit=1.5').channel).toBeUndefined();
  });

  it('reads the channel from links made when it was `unit=`, and writes `channel=`', () => {
    const old = parseState('view=inside&layer=block2_conv2&unit=3');
    expect(old.channel).toBe(3);
    expect(stateQuery(old)).toBe('view=inside&layer=block2_conv2&channel=3');
    expect(parseState('channel=4&unit=3').channel).toBe(4);
  });

  it('leaves the filters unset unless the URL names them; the default fits the layer', () => {
    expect(parseState('').filters).toBeUndefined();
    expect(parseState('filters=0-15').filters).toBe('0-15');
    expect([
      defaultFilters(512),
      defaultFilters(16),
      defaultFilters(10),
      defaultFilters(1),
    ]).toEqual(['0-15', '0-15', '0-9', '0']);
  });
});
