/**
 * The inside view's top-9 patches of one channel: from a scan the server offers (`convscope
 * serve --patches DIR`, made by `convscope patches`) or, without one, over images the user
 * picks or drops, scanned in the worker. Three parts, so the picker never lands inside the
 * grid: a note, a 3-column grid of patches, and the picker below it.
 */
import type { PatchesEntry } from '../../../src/core/server-api.js';
import type { Rgba } from '../bridge/protocol.js';
import { formatValue, h } from '../draw/dom.js';
import { rgbaCanvas } from '../draw/images.js';
import type { ViewContext } from './context.js';
import { decodeImage } from './image-source.js';

/** A `convscope patches` manifest (CLI.md: `filters[].index` is the channel). */
interface PatchManifest {
  layer: string;
  filters: {
    index: number;
    top: { image: string; activation: number; file: string; deconvFile?: string }[];
  }[];
}

export interface PatchesPanel {
  element: HTMLElement;
  /** Shows the top patches of `channel` of `layer` (served scan, else the picked images). */
  show(layer: string, channel: number): Promise<void>;
}

export function patchesPanel(ctx: ViewContext): PatchesPanel {
  const note = h('p', { class: 'note' });
  const grid = h('div', { class: 'tiles patches' });
  const input = h('input', {
    type: 'file',
    multiple: true,
    accept: 'image/*',
    name: 'patch-images',
  });
  const scanZone = h(
    'label',
    { class: 'drop-zone scan-zone' },
    h(
      'span',
      {},
      'Pick or drop a few images (a small data set) to find the channel’s top-9 patches among them: ',
    ),
    input,
  );
  const element = h('div', { class: 'patches-panel' }, note, grid, scanZone);
  let current = { layer: '', channel: 0 };
  // Without a served scan: images the user picked, and the layer the worker last scanned.
  let local: { images: Rgba[]; layer?: string } | null = null;

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

  const tile = (caption: number, ...images: (HTMLElement | null)[]) =>
    h('figure', { class: 'tile' }, ...images, h('figcaption', {}, formatValue(caption)));

  async function showServed(scan: PatchesEntry, channel: number): Promise<void> {
    const manifest = await manifestOf(scan.manifestUrl);
    const entry = manifest.filters.find((f) => f.index === channel);
    const base = new URL(scan.manifestUrl, location.href);
    note.textContent = entry
      ? `Top ${entry.top.length} of the served scan for ${scan.layer} channel ${channel}:`
      : `The scan does not include channel ${channel}.`;
    grid.replaceChildren(
      ...(entry?.top ?? []).map((t) =>
        tile(
          t.activation,
          h('img', { src: new URL(t.file, base).href, class: 'pixels patch' }),
          t.deconvFile
            ? h('img', { src: new URL(t.deconvFile, base).href, class: 'pixels patch' })
            : null,
        ),
      ),
    );
  }

  async function showLocal(layer: string, channel: number): Promise<void> {
    scanZone.hidden = false;
    if (!local) {
      note.textContent = `No top-9 scan of ${layer} is served (\`convscope patches --images DIR --layer ${layer} --out P\`, then \`convscope serve --patches P\`).`;
      grid.replaceChildren();
      return;
    }
    const rescan = local.layer !== layer;
    note.textContent = rescan ? `Scanning ${local.images.length} images…` : 'Computing…';
    try {
      const result = await ctx.client.call('patches', {
        images: rescan ? local.images : undefined,
        layer,
        channel,
        k: 9,
      });
      local.layer = layer;
      if (current.layer !== layer || current.channel !== channel) return;
      note.textContent = `Top ${result.top.length} of ${result.images} picked images for ${layer} channel ${channel}:`;
      grid.replaceChildren(
        ...result.top.map((t) => {
          const figure = tile(t.activation, rgbaCanvas(t.patch, 96, 'pixels patch'));
          figure.dataset.image = String(t.image);
          figure.dataset.activation = String(t.activation);
          return figure;
        }),
      );
    } catch (error) {
      note.textContent = 'The scan failed (see the error above).';
      grid.replaceChildren();
      ctx.showError(error);
    }
  }

  async function show(layer: string, channel: number): Promise<void> {
    current = { layer, channel };
    const scan = (await scans).find(
      (s) => s.layer === layer && (!s.model || s.model === ctx.model.name),
    );
    if (current.layer !== layer || current.channel !== channel) return;
    scanZone.hidden = Boolean(scan);
    return scan ? showServed(scan, channel) : showLocal(layer, channel);
  }

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
    await showLocal(current.layer, current.channel);
  };
  input.addEventListener('change', () => void scanImages([...(input.files ?? [])]));
  scanZone.addEventListener('dragover', (e) => e.preventDefault());
  scanZone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    void scanImages([...(e.dataTransfer?.files ?? [])]);
  });
  return { element, show };
}
