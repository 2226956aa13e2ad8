/**
 * The workbench's state as one serializable spec, kept in the URL's query so any view can be
 * shared and reloaded: model, view, layer, filters or classes, preset and its overrides,
 * seed, input image, selected channel, backend. Pure functions, no DOM.
 */
import { SETTING_OPTIONS } from '../../src/core/optimize/setting-options.js';
import { BACKEND_ORDER, type BackendName } from './bridge/protocol.js';

export const VIEWS = ['filters', 'classes', 'maps', 'inside'] as const;
export type View = (typeof VIEWS)[number];

export interface AppState {
  /** A name from /api/models, or `url` (then `modelUrl` says where). */
  model?: string;
  modelUrl?: string;
  view: View;
  layer?: string;
  /**
   * Index spec of the filters to optimize (e.g. `3,9,12`); absent: the layer's first 16, or all
   * of a layer with fewer (see `defaultFilters`). Only a spec someone typed can be out of range.
   */
  filters?: string;
  /** Index spec or `all` for the classes view. */
  classes: string;
  /**
   * A typed objective (the CLI's `--objective` expression, e.g. `block2_conv1:3 - 1e-3*tv`): when
   * set, a run optimizes it instead of the chosen filters or classes.
   */
  objective?: string;
  /** Preset name (absent: the task's default). */
  preset?: string;
  /** Setting overrides by SETTING_OPTIONS key, as typed. */
  options: Record<string, string>;
  seed: number;
  /** Input image URL (feature maps, inside view). */
  image?: string;
  /** The selected channel of the layer (`channel=`; links from before said `unit=`). */
  channel?: number;
  /** Colormap of the feature maps. */
  colormap: 'viridis' | 'gray';
  backend?: BackendName;
  /** WASM threads (default: half the logical cores, as tfjs picks; at most 8). */
  threads?: number;
}

export const DEFAULT_STATE: AppState = {
  view: 'filters',
  classes: 'all',
  options: {},
  seed: 0,
  colormap: 'viridis',
};

const OPTION_KEYS = new Set(SETTING_OPTIONS.map((o) => o.key));

/** Reads the state from a query string; unknown or malformed values fall back to defaults. */
export function parseState(query: string): AppState {
  const params = new URLSearchParams(query);
  const state: AppState = { ...DEFAULT_STATE, options: {} };
  const get = (key: string) => params.get(key) ?? undefined;
  state.model = get('model');
  state.modelUrl = get('url');
  const view = get('view');
  if (view && (VIEWS as readonly string[]).includes(view)) state.view = view as View;
  state.layer = get('layer');
  state.filters = get('filters');
  state.classes = get('classes') ?? state.classes;
  state.objective = get('objective');
  state.preset = get('preset');
  const seed = Number(get('seed'));
  if (Number.isInteger(seed)) state.seed = seed;
  state.image = get('image');
  // Links made before the vocabulary settled name the channel `unit`.
  const channelText = get('channel') ?? get('unit');
  const channel = Number(channelText);
  if (channelText !== undefined && Number.isInteger(channel) && channel >= 0) {
    state.channel = channel;
  }
  if (get('colormap') === 'gray') state.colormap = 'gray';
  const backend = get('backend');
  if (backend && (BACKEND_ORDER as readonly string[]).includes(backend)) {
    state.backend = backend as BackendName;
  }
  const threads = Number(get('threads'));
  if (Number.isInteger(threads) && threads >= 1) state.threads = threads;
  for (const [key, value] of params) {
    if (key.startsWith('o.') && OPTION_KEYS.has(key.slice(2))) state.options[key.slice(2)] = value;
  }
  return state;
}

/** The query string of a state (defaults left out, so URLs stay short). */
export function stateQuery(state: AppState): string {
  const params = new URLSearchParams();
  const put = (key: string, value: string | number | undefined, fallback?: string | number) => {
    if (value !== undefined && value !== '' && value !== fallback) params.set(key, String(value));
  };
  put('model', state.model);
  put('url', state.modelUrl);
  put('view', state.view, DEFAULT_STATE.view);
  put('layer', state.layer);
  put('filters', state.filters);
  put('classes', state.classes, DEFAULT_STATE.classes);
  put('objective', state.objective);
  put('preset', state.preset);
  put('seed', state.seed, DEFAULT_STATE.seed);
  put('image', state.image);
  put('channel', state.channel);
  put('colormap', state.colormap, DEFAULT_STATE.colormap);
  put('backend', state.backend);
  put('threads', state.threads);
  for (const [key, value] of Object.entries(state.options)) put(`o.${key}`, value);
  return params.toString();
}

/**
 * The filters a run takes when none are named: the first 16, or every one of a smaller layer.
 * @example defaultFilters(10) // '0-9'
 */
export function defaultFilters(channels: number): string {
  const count = Math.max(1, Math.min(16, channels));
  return count === 1 ? '0' : `0-${count - 1}`;
}
