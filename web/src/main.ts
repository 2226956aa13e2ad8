/**
 * The workbench shell: starts the compute worker on the best backend, lists the models the
 * server offers (plus a model.json URL or dropped files), loads one, and mounts the view the
 * URL names (filters, classes, feature maps, inside). Every failure lands in an error panel
 * that says what to do; the page is never left blank.
 */
import type { ModelEntry } from '../../src/core/server-api.js';
import { ComputeClient } from './bridge/client.js';
import type { BackendInfo, ModelInfo, ModelSource } from './bridge/protocol.js';
import { h } from './draw/dom.js';
import { asShown, errorPanel } from './draw/error-panel.js';
import { parseState, stateQuery, type AppState, type View } from './state.js';
import type { Sample, ViewContext, ViewHandle } from './views/context.js';
import { mountInsideView } from './views/inside-view.js';
import { mountMapsView } from './views/maps-view.js';
import { mountOptimizeView } from './views/optimize-view.js';

const state: AppState = parseState(location.search);
const errors = document.getElementById('errors')!;
const main = document.getElementById('view')!;
const header = document.getElementById('header')!;
const badge = h(
  'span',
  { class: 'badge backend', title: 'TF.js backend of the compute worker' },
  'starting…',
);
const modelSelect = h('select', { name: 'model', title: 'model' });
const modelFiles = h('input', {
  type: 'file',
  multiple: true,
  accept: '.json,.bin,.png,.onnx,.keras,.h5',
  name: 'model-files',
  title:
    'model.json with its .bin shards, or a .onnx, .keras or .h5 file (and labels.json, mean.png)',
});
const tabs = h('nav', { class: 'tabs' });
let client: ComputeClient;
let backend: BackendInfo;
let model: ModelInfo | null = null;
let view: ViewHandle | null = null;
let samples: Promise<Sample[]> | null = null;
// Each load gets a number; only the newest may show its model (the last choice wins).
let latestLoad = 0;
let pendingLoads = 0;

function writeUrl(): void {
  const query = stateQuery(state);
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}

function showError(error: unknown): void {
  errors.replaceChildren(errorPanel(asShown(error), () => errors.replaceChildren()));
}

const VIEW_NAMES: Record<View, string> = {
  filters: 'Filters',
  classes: 'Classes',
  maps: 'Feature maps',
  inside: 'Inside',
};

function renderTabs(): void {
  const views = (Object.keys(VIEW_NAMES) as View[]).filter(
    (v) => v !== 'classes' || model?.classes,
  );
  tabs.replaceChildren(
    ...views.map((v) =>
      h(
        'a',
        {
          href: `?${stateQuery({ ...state, view: v })}`,
          class: v === state.view ? 'tab active' : 'tab',
          'data-view': v,
          onclick: (e: Event) => {
            e.preventDefault();
            state.view = v;
            writeUrl();
            mountView();
          },
        },
        VIEW_NAMES[v],
      ),
    ),
  );
}

function allSamples(): Promise<Sample[]> {
  return (samples ??= fetch('/api/samples').then((r) => {
    if (!r.ok) throw new Error(`the server lists no sample images (HTTP ${r.status})`);
    return r.json() as Promise<Sample[]>;
  }));
}

/** Samples with the model's channels (gray for gray models, photos for RGB); else all. */
function fitting(all: Sample[], channels: number): Sample[] {
  const fit = all.filter((s) => s.channels === channels);
  return fit.length > 0 ? fit : all;
}

function mountView(): void {
  view?.dispose();
  view = null;
  errors.replaceChildren();
  renderTabs();
  if (!model) return;
  if (state.view === 'classes' && !model.classes) state.view = 'filters';
  const { channels } = model.input;
  const ctx: ViewContext = {
    client,
    model,
    backend,
    state,
    update: (partial) => {
      Object.assign(state, partial);
      writeUrl();
    },
    showError,
    samples: async () => fitting(await allSamples(), channels),
  };
  main.dataset.view = state.view;
  if (state.view === 'maps') view = mountMapsView(main, ctx);
  else if (state.view === 'inside') view = mountInsideView(main, ctx);
  else view = mountOptimizeView(main, ctx, state.view);
}

async function loadModel(source: ModelSource): Promise<void> {
  const load = ++latestLoad;
  view?.dispose();
  view = null;
  model = null;
  errors.replaceChildren();
  main.dataset.state = 'loading';
  main.replaceChildren(h('p', { class: 'loading' }, `Loading ${source.name}…`));
  document.getElementById('model-info')!.textContent = '';
  main.dataset.pendingLoads = String(++pendingLoads);
  let loaded: ModelInfo;
  try {
    // The worker cancels an older load when a newer one arrives.
    loaded = await client.call('loadModel', { source });
  } catch (error) {
    if (load !== latestLoad) return;
    main.dataset.state = 'error';
    main.replaceChildren(
      h(
        'p',
        { class: 'note' },
        'Pick another model above, enter a model.json, .onnx, .keras or .h5 URL, or drop a model.json with its shards (or a .onnx, .keras or .h5 file) on the page.',
      ),
    );
    renderTabs();
    showError(error);
    return;
  } finally {
    main.dataset.pendingLoads = String(--pendingLoads);
  }
  if (load !== latestLoad) return;
  model = loaded;
  main.dataset.state = 'ready';
  main.dataset.model = model.name;
  const { input, layers, parameters } = model;
  document.getElementById('model-info')!.textContent =
    `${model.name} · ${input.height}×${input.width}×${input.channels} · ${layers.length} layers · ${(parameters / 1e6).toFixed(2)} M params`;
  if (state.layer && !layers.some((l) => l.name === state.layer)) state.layer = undefined;
  mountView();
}

function sourceFor(entries: ModelEntry[]): ModelSource {
  if (state.model === 'url' && state.modelUrl)
    return { kind: 'url', name: state.modelUrl, url: state.modelUrl };
  const entry =
    entries.find((e) => e.name === state.model) ?? entries.find((e) => e.default) ?? entries[0];
  if (!entry) throw new Error('the server offers no model');
  state.model = entry.name;
  return {
    kind: 'url',
    name: entry.name,
    url: entry.url,
    labelsUrl: entry.labelsUrl,
    meanUrl: entry.meanUrl,
  };
}

/** A picker label: `serve --model DIR` names a path; show its last folder, the path as title. */
function entryLabel(entry: ModelEntry): string {
  if (entry.source !== 'cli') return `${entry.name} (${entry.source})`;
  const parts = entry.name
    .replace(/\/model\.json$/i, '')
    .split(/[\\/]/)
    .filter(Boolean);
  return `${parts.at(-1) ?? entry.name} (--model)`;
}

function setupModelPicker(entries: ModelEntry[]): void {
  modelSelect.replaceChildren(
    ...entries.map((e) =>
      h('option', { value: e.name, selected: e.name === state.model, title: e.url }, entryLabel(e)),
    ),
    h('option', { value: 'url', selected: state.model === 'url' }, 'model.json URL…'),
  );
  modelSelect.addEventListener('change', () => {
    if (modelSelect.value === 'url') {
      const url = prompt('URL of a TF.js layers model.json', state.modelUrl ?? 'https://');
      if (!url) {
        modelSelect.value = state.model ?? '';
        return;
      }
      Object.assign(state, {
        model: 'url',
        modelUrl: url,
        layer: undefined,
        channel: undefined,
      });
    } else
      Object.assign(state, {
        model: modelSelect.value,
        modelUrl: undefined,
        layer: undefined,
        channel: undefined,
      });
    writeUrl();
    void loadModel(sourceFor(entries));
  });
  // A model.json with its shards, or a .onnx, .keras or .h5 file (and labels.json, mean.png)
  // dropped anywhere on the page or picked with the file button. Such a model cannot be named in
  // the URL.
  const isModelFile = (f: File) =>
    /\.(json|onnx|keras|h5)$/i.test(f.name) && f.name !== 'labels.json';
  const openFiles = (files: File[]) => {
    const name = files.find(isModelFile)?.name;
    Object.assign(state, {
      model: undefined,
      modelUrl: undefined,
      layer: undefined,
      channel: undefined,
    });
    writeUrl();
    void loadModel({ kind: 'files', name: `dropped ${name ?? 'files'}`, files });
  };
  addEventListener('dragover', (e) => e.preventDefault());
  addEventListener('drop', (e) => {
    const files = [...(e.dataTransfer?.files ?? [])];
    if (!files.some(isModelFile)) return;
    e.preventDefault();
    openFiles(files);
  });
  modelFiles.addEventListener('change', () => {
    if (modelFiles.files?.length) openFiles([...modelFiles.files]);
    modelFiles.value = '';
  });
}

async function start(): Promise<void> {
  header.append(
    h('h1', {}, 'convscope'),
    modelSelect,
    h(
      'label',
      { class: 'open-files', title: 'or drop them on the page' },
      'Open model files… ',
      modelFiles,
    ),
    tabs,
    h('span', { id: 'model-info', class: 'model-info' }),
    badge,
  );
  addEventListener('error', (e) => showError(e.error ?? e.message));
  addEventListener('unhandledrejection', (e) => showError(e.reason));
  const worker = new Worker(new URL('./compute/worker.ts', import.meta.url), { type: 'module' });
  client = new ComputeClient(worker);
  try {
    backend = await client.call('init', { backend: state.backend, threads: state.threads });
  } catch (error) {
    main.replaceChildren();
    showError(error);
    return;
  }
  badge.textContent = `${backend.backend}${backend.backend === 'wasm' ? ` · ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : ''}${backend.measured ? ` · fastest of ${backend.measured.length}` : ''}`;
  badge.title = [
    `backend ${backend.backend}`,
    `cross-origin isolated: ${crossOriginIsolated}`,
    ...backend.notes,
  ].join('\n');
  badge.dataset.backend = backend.backend;
  if (backend.measured) badge.dataset.measured = JSON.stringify(backend.measured);
  let entries: ModelEntry[] = [];
  try {
    const response = await fetch('/api/models');
    if (!response.ok) throw new Error(`the server lists no models (HTTP ${response.status})`);
    entries = (await response.json()) as ModelEntry[];
    // The source first: it settles `state.model` (the server's default) that the picker shows.
    const source = sourceFor(entries);
    setupModelPicker(entries);
    await loadModel(source);
  } catch (error) {
    main.replaceChildren();
    showError(error);
  }
}

void start();
