/**
 * The feature-maps view: every channel of a layer for an input image (a sample, an uploaded
 * file, or the webcam, updating continuously), with the top-5 classes beside it and the
 * frames per second. Click a channel to enlarge it; the selected channel is kept in the URL.
 */
import type { MapsResult, Rgba } from '../bridge/protocol.js';
import { formatValue, h } from '../draw/dom.js';
import { drawRgba } from '../draw/images.js';
import { layerOption, type ViewContext, type ViewHandle } from './context.js';
import { imagePicker } from './image-source.js';
import { Webcam } from './webcam.js';

/** Frames per second over the last second of completed frames. */
class RateMeter {
  private times: number[] = [];
  tick(now = performance.now()): number {
    this.times.push(now);
    while (this.times.length > 1 && now - this.times[0] > 1000) this.times.shift();
    const span = (now - this.times[0]) / 1000;
    return span > 0 ? (this.times.length - 1) / span : 0;
  }
}

export function mountMapsView(root: HTMLElement, ctx: ViewContext): ViewHandle {
  const { model } = ctx;
  const spatial = model.layers.filter((l) => l.spatial && l.channels && l.kind !== 'InputLayer');
  const first = spatial.find((l) => l.kind === 'Conv2D') ?? spatial[0];
  let layer =
    ctx.state.layer && spatial.some((l) => l.name === ctx.state.layer)
      ? ctx.state.layer
      : first?.name;
  let image: Rgba | null = null;
  let webcam: Webcam | null = null;
  let busy = false;
  let disposed = false;
  let selected = ctx.state.channel;
  const meter = new RateMeter();
  let frames = 0;

  const layerSelect = h(
    'select',
    { name: 'layer' },
    ...spatial.map((l) => layerOption(l, l.name === layer)),
  );
  const colormap = h(
    'select',
    { name: 'colormap' },
    ...['viridis', 'gray'].map((c) =>
      h('option', { value: c, selected: c === ctx.state.colormap }, c),
    ),
  );
  const camButton = h('button', { type: 'button', class: 'webcam' }, 'Webcam');
  const inputCanvas = h('canvas', { class: 'pixels input-image' });
  const top = h('ol', { class: 'top5' });
  const fps = h('div', { class: 'fps' }, '');
  const grid = h('div', { class: 'tiles maps' });
  const enlarged = h('div', { class: 'enlarged' });

  const render = (result: MapsResult) => {
    drawRgba(inputCanvas, result.input);
    top.replaceChildren(
      ...result.top.map((t) =>
        h(
          'li',
          { 'data-probability': t.probability },
          `${t.label} `,
          h('b', {}, `${(t.probability * 100).toFixed(1)}%`),
        ),
      ),
    );
    if (grid.children.length !== result.tiles.length) {
      grid.replaceChildren(
        ...result.tiles.map((_, i) =>
          h(
            'figure',
            { class: 'tile', 'data-index': i, onclick: () => select(i), title: `channel ${i}` },
            h('canvas', { class: 'pixels' }),
            h('figcaption', {}, `${i}`),
          ),
        ),
      );
    }
    result.tiles.forEach((tile, i) => {
      const figure = grid.children[i] as HTMLElement;
      drawRgba(figure.querySelector('canvas')!, tile);
      figure.title = `channel ${i} · mean ${formatValue(result.means[i])}`;
      figure.dataset.mean = String(result.means[i]);
      figure.classList.toggle('selected', i === selected);
    });
    grid.dataset.frames = String(++frames);
    grid.dataset.channels = String(result.tiles.length);
    if (selected !== undefined && result.tiles[selected]) {
      const big = enlarged.querySelector('canvas') ?? h('canvas', { class: 'pixels big' });
      drawRgba(big, result.tiles[selected]);
      enlarged.replaceChildren(
        h(
          'div',
          {},
          `${result.layer} channel ${selected} · mean ${formatValue(result.means[selected])}`,
        ),
        big,
      );
    } else enlarged.replaceChildren();
    const rate = meter.tick();
    fps.textContent = `${result.ms.toFixed(0)} ms per frame${webcam ? ` · ${rate.toFixed(1)} frames/s` : ''} · ${ctx.backend.backend}`;
    fps.dataset.fps = rate.toFixed(2);
  };

  const select = (i: number) => {
    selected = selected === i ? undefined : i;
    ctx.update({ channel: selected });
    if (image) void compute(image);
  };

  async function compute(source: Rgba): Promise<void> {
    if (!layer) return;
    busy = true;
    try {
      render(
        await ctx.client.call('maps', {
          image: source,
          layer,
          colormap: colormap.value as 'viridis' | 'gray',
        }),
      );
    } catch (error) {
      stopWebcam();
      ctx.showError(error);
    } finally {
      busy = false;
    }
  }

  // One frame in flight at a time: the next grab starts when the maps of the last are drawn.
  const loop = async () => {
    while (webcam && !disposed) {
      if (!busy) {
        image = webcam.grab(Math.max(model.input.height, 96));
        await compute(image);
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  };

  function stopWebcam() {
    webcam?.close();
    webcam = null;
    camButton.textContent = 'Webcam';
    camButton.classList.remove('on');
  }

  camButton.addEventListener('click', async () => {
    if (webcam) return stopWebcam();
    try {
      webcam = await Webcam.open();
      camButton.textContent = 'Stop webcam';
      camButton.classList.add('on');
      void loop();
    } catch (error) {
      ctx.showError(error);
    }
  });
  layerSelect.addEventListener('change', () => {
    layer = layerSelect.value;
    selected = undefined;
    grid.replaceChildren();
    ctx.update({ layer, channel: undefined });
    if (image && !webcam) void compute(image);
  });
  colormap.addEventListener('change', () => {
    ctx.update({ colormap: colormap.value as 'viridis' | 'gray' });
    if (image && !webcam) void compute(image);
  });
  const picker = imagePicker(ctx, (picked, source) => {
    if (source.initial && webcam) return;
    stopWebcam();
    image = picked;
    ctx.update({ image: source.url });
    void compute(picked);
  });

  root.replaceChildren(
    h(
      'section',
      { class: 'view maps' },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        h('label', {}, h('span', {}, 'Layer'), layerSelect),
        h('label', {}, h('span', {}, 'Colormap'), colormap),
        picker,
        h('div', { class: 'buttons' }, camButton),
        h('div', { class: 'input-panel' }, inputCanvas, h('div', {}, h('h4', {}, 'Top 5'), top)),
        fps,
        enlarged,
      ),
      h('div', { class: 'results' }, grid),
    ),
  );
  return {
    dispose: () => {
      disposed = true;
      stopWebcam();
    },
  };
}
