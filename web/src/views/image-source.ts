/**
 * Where an input image comes from: a sample image served by `convscope serve`, or a file the
 * user picks or drops. The browser decodes what it can; other formats (TIFF, …) go to the
 * server's /api/decode (sharp). An image that will not decode is an error that names it.
 */
import type { Rgba } from '../bridge/protocol.js';
import { h } from '../draw/dom.js';
import { bitmapRgba } from '../draw/images.js';
import type { Sample, ViewContext } from './context.js';

/** Pixels of a decodable image blob, at most `max` px on the long side. */
function bitmapPixels(bitmap: ImageBitmap, max = 512): Rgba {
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  return bitmapRgba(bitmap, width, height);
}

/** Decodes a blob in the browser, falling back to the server's decoder. */
export async function decodeImage(blob: Blob, name: string): Promise<Rgba> {
  try {
    return bitmapPixels(await createImageBitmap(blob));
  } catch {
    // The server decodes only bodies declared as images (a file of unknown type: octet-stream).
    const type = blob.type.startsWith('image/') ? blob.type : 'application/octet-stream';
    const response = await fetch('/api/decode', {
      method: 'POST',
      body: blob,
      headers: { 'Content-Type': type },
    }).catch(() => null);
    if (response?.ok) return bitmapPixels(await createImageBitmap(await response.blob()));
    const reason = response
      ? ((await response.json().catch(() => ({}))) as { error?: string }).error
      : undefined;
    throw Object.assign(
      new Error(`cannot decode the image '${name}'${reason ? `: ${reason}` : ''}`),
      {
        hint: 'use a PNG, JPEG, WebP, GIF, AVIF or TIFF image',
      },
    );
  }
}

export async function loadUrlImage(url: string): Promise<Rgba> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the image ${url}: HTTP ${response.status}`);
  return decodeImage(await response.blob(), url);
}

/**
 * The image a view opens with: the URL state's, unless it is a sample that does not fit this
 * model (a gray sample kept from a gray model, now an RGB one is open); else the first sample.
 */
function initialImage(wanted: string | undefined, samples: Sample[]): string {
  const isSample = wanted?.startsWith('/samples/');
  if (wanted && (!isSample || samples.some((s) => s.url === wanted))) return wanted;
  return samples[0].url;
}

/** Where a picked image came from; `initial` marks the one loaded when the view opens. */
export interface ImageSource {
  url?: string;
  name: string;
  initial?: boolean;
}

/**
 * A sample menu and a file picker; calls `onImage` with the decoded pixels and the URL or
 * file name (only sample URLs go into the page's URL state). When the view opens it loads the
 * URL state's image (or the first sample) once, unless the user picked one first or the view
 * is gone by then.
 */
export function imagePicker(
  ctx: ViewContext,
  onImage: (image: Rgba, source: ImageSource) => void,
): HTMLElement {
  let picked = false;
  const select = h('select', { name: 'sample' }, h('option', { value: '' }, 'Loading samples…'));
  const file = h('input', { type: 'file', accept: 'image/*', name: 'upload' });
  void ctx.samples().then((samples: Sample[]) => {
    select.replaceChildren(
      h('option', { value: '' }, 'Sample image…'),
      ...samples.map((s) =>
        h(
          'option',
          { value: s.url, selected: s.url === ctx.state.image },
          s.label ? `${s.name} (${s.label})` : s.name,
        ),
      ),
    );
  });
  select.addEventListener('change', async () => {
    if (!select.value) return;
    picked = true;
    try {
      onImage(await loadUrlImage(select.value), { url: select.value, name: select.value });
    } catch (error) {
      ctx.showError(error);
    }
  });
  const take = async (blob: File) => {
    picked = true;
    try {
      onImage(await decodeImage(blob, blob.name), { name: blob.name });
    } catch (error) {
      ctx.showError(error);
    }
  };
  file.addEventListener('change', () => file.files?.[0] && void take(file.files[0]));
  const zone = h(
    'label',
    { class: 'drop-zone', title: 'drop an image here' },
    'or drop / pick an image ',
    file,
  );
  zone.addEventListener('dragover', (e) => e.preventDefault());
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    const dropped = e.dataTransfer?.files?.[0];
    if (dropped) void take(dropped);
  });
  const element = h('div', { class: 'image-picker' }, select, zone);
  ctx
    .samples()
    .then(async (samples) => {
      const url = initialImage(ctx.state.image, samples);
      const first = await loadUrlImage(url);
      if (!picked && element.isConnected) {
        select.value = url; // the menu names the image shown
        // A defaulted image stays out of the URL state (short URLs); a replaced one goes in.
        onImage(first, { url: ctx.state.image ? url : undefined, name: 'initial', initial: true });
      }
    })
    .catch((error) => ctx.showError(error));
  return element;
}
