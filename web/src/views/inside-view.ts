/**
 * The inside view: a layer's kernels as images; for one unit (a filter of that layer) or a
 * class on the current image, deconvnet, guided backprop, saliency and Grad-CAM side by side;
 * and the unit's top-9 dataset patches when `convscope serve --patches DIR` offers a scan of
 * this layer (made by `convscope patches`).
 */
import type { PatchesEntry } from '../../../src/core/server-api.js';
import type { AttributionMethod } from '../../../src/core/methods/attribution.js';
import type { AttributeRequest, Rgba } from '../bridge/protocol.js';
import { formatValue, h } from '../draw/dom.js';
import { rgbaCanvas } from '../draw/images.js';
import { layerLabel, type ViewContext, type ViewHandle } from './context.js';
import { decodeImage, imagePicker } from './image-source.js';

interface PatchManifest {
  layer: string;
  filters: {
    index: number;
    top: { image: string; activation: number; file: string; deconvFile?: string }[];
  }[];
}

// SmoothGrad is left out here: 16 backward passes per click.
const METHODS: AttributionMethod[] = ['deconvnet', 'guided', 'saliency', 'gradcam'];

export function mountInsideView(root: HTMLElement, ctx: ViewContext): ViewHandle {
  const { model } = ctx;
  const convs = model.layers.filter((l) => l.hasKernel);
  let layer = convs.some((l) => l.name === ctx.state.layer) ? ctx.state.layer! : model.defaultLayer;
  let unit = ctx.state.unit ?? 0;
  let image: Rgba | null = null;
  const layerSelect = h(
    'select',
    { name: 'layer' },
    ...convs.map((l) => h('option', { value: l.name, selected: l.name === layer }, layerLabel(l))),
  );
  const unitInput = h('input', {
    name: 'unit',
    type: 'number',
    min: 0,
    value: unit,
    class: 'short',
  });
  const classSelect = h(
    'select',
    { name: 'target' },
    h('option', { value: 'unit' }, 'the unit (filter) of the layer'),
    ...(model.classes
      ? Array.from({ length: model.classes }, (_, i) =>
          h('option', { value: String(i) }, `class: ${model.labels?.[i] ?? i}`),
        )
      : []),
  );
  const weightsGrid = h('div', { class: 'tiles weights' });
  const attributions = h('div', { class: 'tiles attributions' });
  const patches = h('div', { class: 'tiles patches' });

  const showWeights = async () => {
    try {
      const result = await ctx.client.call('weights', { layer });
      const display = result.tiles.length > 256 ? 24 : 48;
      weightsGrid.replaceChildren(
        h(
          'p',
          { class: 'note' },
          `${layer}: kernels ${result.kernelShape.join('×')} (${result.mode}); ${result.tiles.length} tiles`,
        ),
        ...result.tiles.slice(0, 1024).map((t) =>
          h(
            'figure',
            {
              class: 'tile small',
              'data-index': t.filter,
              onclick: () => pickUnit(t.filter),
              title: `filter ${t.filter}${t.inputChannel !== undefined ? ` · input ${t.inputChannel}` : ''}`,
            },
            rgbaCanvas(t.image, display),
          ),
        ),
      );
    } catch (error) {
      ctx.showError(error);
    }
  };

  const showAttributions = async () => {
    if (!image) return;
    const target: AttributeRequest['target'] =
      classSelect.value === 'unit'
        ? { kind: 'unit', layer, filter: unit }
        : { kind: 'class', index: Number(classSelect.value) };
    attributions.replaceChildren(h('p', { class: 'note' }, 'Computing…'));
    try {
      const result = await ctx.client.call('attribute', { image, methods: METHODS, target });
      const size = Math.max(112, Math.min(224, result.input.width * 4));
      attributions.replaceChildren(
        h(
          'figure',
          { class: 'tile' },
          rgbaCanvas(result.input, size),
          h('figcaption', {}, 'input'),
        ),
        ...result.images.map((a) =>
          h(
            'figure',
            { class: 'tile', 'data-method': a.method },
            rgbaCanvas(a.image, size),
            h('figcaption', {}, `${a.method} · max ${formatValue(a.max)}`),
          ),
        ),
      );
    } catch (error) {
      attributions.replaceChildren();
      ctx.showError(error);
    }
  };

  // The served scans and their manifests do not change while the page is open: fetch once.
  const scans = fetch('/api/patches').then((r) => (r.ok ? r.json() : [])) as Promise<
    PatchesEntry[]
  >;
  const manifests = new Map<string, Promise<PatchManifest>>();
  const manifestOf = (url: string) => {
    if (!manifests.has(url))
      manifests.set(
        url,
        fetch(url).then((r) => r.json()),
      );
    return manifests.get(url)!;
  };
  const showPatches = async () => {
    const scan = (await scans).find(
      (s) => s.layer === layer && (!s.model || s.model === model.name),
    );
    if (!scan) return showLocalPatches();
    const manifest = await manifestOf(scan.manifestUrl);
    const entry = manifest.filters.find((f) => f.index === unit);
    const base = new URL(scan.manifestUrl, location.href);
    patches.replaceChildren(
      ...(entry?.top ?? []).map((t) =>
        h(
          'figure',
          { class: 'tile' },
          h('img', { src: new URL(t.file, base).href, class: 'pixels patch' }),
          t.deconvFile
            ? h('img', { src: new URL(t.deconvFile, base).href, class: 'pixels patch' })
            : null,
          h('figcaption', {}, formatValue(t.activation)),
        ),
      ),
    );
    if (!entry)
      patches.replaceChildren(
        h('p', { class: 'note' }, `The scan does not include filter ${unit}.`),
      );
  };

  // Without a served scan: top-9 over images the user picks or drops, computed in the worker.
  let local: { images: Rgba[]; layer?: string } | null = null;
  const folder = h('input', {
    type: 'file',
    multiple: true,
    accept: 'image/*',
    name: 'patch-images',
  });
  const scanZone = h(
    'label',
    { class: 'drop-zone' },
    'Pick or drop a few images (a small data set) to find the unit’s top-9 patches among them here: ',
    folder,
  );
  const scanImages = async (files: File[]) => {
    const images: Rgba[] = [];
    for (const file of files) {
      try {
        images.push(await decodeImage(file, file.name));
      } catch (error) {
        ctx.showError(error);
      }
    }
    if (images.length === 0) return;
    local = { images };
    await showLocalPatches();
  };
  folder.addEventListener('change', () => void scanImages([...(folder.files ?? [])]));
  scanZone.addEventListener('dragover', (e) => e.preventDefault());
  scanZone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    void scanImages([...(e.dataTransfer?.files ?? [])]);
  });

  async function showLocalPatches(): Promise<void> {
    const note = h(
      'p',
      { class: 'note' },
      `No top-9 scan of ${layer} is served (\`convscope patches --images DIR --layer ${layer} --out P\`, then \`convscope serve --patches P\`).`,
    );
    if (!local) {
      patches.replaceChildren(note, scanZone);
      return;
    }
    const rescan = local.layer !== layer;
    patches.replaceChildren(
      h('p', { class: 'note' }, rescan ? `Scanning ${local.images.length} images…` : 'Computing…'),
    );
    try {
      const result = await ctx.client.call('patches', {
        images: rescan ? local.images : undefined,
        layer,
        unit,
        k: 9,
      });
      local.layer = layer;
      patches.replaceChildren(
        h(
          'p',
          { class: 'note' },
          `Top ${result.top.length} of ${result.images} picked images for ${layer} filter ${unit}:`,
        ),
        ...result.top.map((t) =>
          h(
            'figure',
            { class: 'tile', 'data-image': t.image },
            rgbaCanvas(t.patch, 96, 'pixels patch'),
            h('figcaption', {}, formatValue(t.activation)),
          ),
        ),
        scanZone,
      );
    } catch (error) {
      patches.replaceChildren(note, scanZone);
      ctx.showError(error);
    }
  }

  function pickUnit(filter: number) {
    unit = filter;
    unitInput.value = String(filter);
    ctx.update({ unit });
    void showAttributions();
    void showPatches();
  }

  layerSelect.addEventListener('change', () => {
    layer = layerSelect.value;
    ctx.update({ layer });
    void showWeights();
    pickUnit(0);
  });
  unitInput.addEventListener('change', () => pickUnit(Math.max(0, Number(unitInput.value) || 0)));
  classSelect.addEventListener('change', () => void showAttributions());
  const picker = imagePicker(ctx, (picked, source) => {
    image = picked;
    ctx.update({ image: source.url });
    void showAttributions();
  });

  root.replaceChildren(
    h(
      'section',
      { class: 'view inside' },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        h('label', {}, h('span', {}, 'Layer'), layerSelect),
        h('label', {}, h('span', {}, 'Unit'), unitInput),
        h('label', {}, h('span', {}, 'Explain'), classSelect),
        picker,
      ),
      h(
        'div',
        { class: 'results' },
        h('h3', {}, 'Attributions on the image'),
        attributions,
        h('h3', {}, 'Top-9 dataset patches of the unit'),
        patches,
        h('h3', {}, 'Weights (click a kernel to pick its filter)'),
        weightsGrid,
      ),
    ),
  );
  void showWeights();
  void showPatches().catch((error) => ctx.showError(error));
  return { dispose: () => undefined };
}
