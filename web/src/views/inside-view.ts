/**
 * The inside view: a layer's kernels (filters) as numbered images (the selected channel's
 * outlined); for one channel of that layer or a class on the current image, the attribution
 * methods chosen in a form generated from core's registry (attribution-form.ts; by default every
 * method cheap enough for a click: all but SmoothGrad) side by side; and the channel's top-9
 * dataset patches (see patches-panel.ts).
 */
import type { AttributeRequest, Rgba } from '../bridge/protocol.js';
import { formatValue, h } from '../draw/dom.js';
import { rgbaCanvas } from '../draw/images.js';
import { attributionForm, type AttributionChoice } from './attribution-form.js';
import { layerOption, type ViewContext, type ViewHandle } from './context.js';
import { imagePicker } from './image-source.js';
import { patchesPanel } from './patches-panel.js';

export function mountInsideView(root: HTMLElement, ctx: ViewContext): ViewHandle {
  const { model } = ctx;
  const convs = model.layers.filter((l) => l.hasKernel);
  let layer = convs.some((l) => l.name === ctx.state.layer) ? ctx.state.layer! : model.defaultLayer;
  let channel = ctx.state.channel ?? 0;
  let image: Rgba | null = null;
  const layerSelect = h(
    'select',
    { name: 'layer' },
    ...convs.map((l) => layerOption(l, l.name === layer)),
  );
  const channelInput = h('input', {
    name: 'channel',
    type: 'number',
    min: 0,
    value: channel,
    class: 'short',
  });
  const classSelect = h(
    'select',
    { name: 'target' },
    h('option', { value: 'unit' }, 'the channel of the layer'),
    ...(model.classes
      ? Array.from({ length: model.classes }, (_, i) =>
          h('option', { value: String(i) }, `class: ${model.labels?.[i] ?? i}`),
        )
      : []),
  );
  const weightsNote = h('p', { class: 'note' });
  const weightsGrid = h('div', { class: 'tiles weights' });
  const attributions = h('div', { class: 'tiles attributions' });
  const methodsForm = h('div', { class: 'attribution-controls' });
  let chosen: AttributionChoice | null = null;

  /** Outlines the kernels of the selected channel (every input slice of it in slices mode). */
  const markSelected = () => {
    for (const tile of weightsGrid.querySelectorAll<HTMLElement>('.tile')) {
      tile.classList.toggle('selected', Number(tile.dataset.index) === channel);
    }
  };

  const showWeights = async () => {
    try {
      const result = await ctx.client.call('weights', { layer });
      const display = result.tiles.length > 256 ? 24 : 48;
      weightsNote.textContent = `${layer}: kernels ${result.kernelShape.join('×')} (${result.mode}); ${result.tiles.length} tiles`;
      weightsGrid.replaceChildren(
        ...result.tiles.slice(0, 1024).map((t) => {
          const slice = t.inputChannel !== undefined ? `·${t.inputChannel}` : '';
          return h(
            'figure',
            {
              class: 'tile small',
              'data-index': t.filter,
              onclick: () => {
                // A kernel (filter) makes one channel: explain that channel, not a class.
                classSelect.value = 'unit';
                channelInput.disabled = false;
                pickChannel(t.filter);
              },
              title: `filter ${t.filter}${slice ? ` · input ${t.inputChannel}` : ''}`,
            },
            rgbaCanvas(t.image, display),
            h('figcaption', {}, `${t.filter}${slice}`),
          );
        }),
      );
      markSelected();
    } catch (error) {
      ctx.showError(error);
    }
  };

  const showAttributions = async () => {
    if (!image || !chosen) return;
    const target: AttributeRequest['target'] =
      classSelect.value === 'unit'
        ? { kind: 'unit', layer, channel }
        : { kind: 'class', index: Number(classSelect.value) };
    attributions.replaceChildren(h('p', { class: 'note' }, 'Computing…'));
    try {
      const { methods, options } = chosen;
      const result = await ctx.client.call('attribute', { image, methods, target, options });
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
            { class: 'tile', 'data-method': a.method, 'data-min': a.min, 'data-max': a.max },
            rgbaCanvas(a.image, size),
            h('figcaption', { title: a.quantity }, `${a.method} · max ${formatValue(a.max)}`),
          ),
        ),
      );
    } catch (error) {
      attributions.replaceChildren();
      ctx.showError(error);
    }
  };

  const patches = patchesPanel(ctx);
  const showPatches = () => patches.show(layer, channel);

  function pickChannel(picked: number) {
    channel = picked;
    channelInput.value = String(picked);
    ctx.update({ channel });
    markSelected();
    void showAttributions();
    void showPatches();
  }

  layerSelect.addEventListener('change', () => {
    layer = layerSelect.value;
    ctx.update({ layer });
    void showWeights();
    pickChannel(0);
  });
  channelInput.addEventListener('change', () =>
    pickChannel(Math.max(0, Number(channelInput.value) || 0)),
  );
  classSelect.addEventListener('change', () => {
    // A class target has no channel: the field would only mislead.
    channelInput.disabled = classSelect.value !== 'unit';
    void showAttributions();
  });
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
        h(
          'label',
          {},
          h(
            'span',
            { title: 'the channel (unit) of the layer to explain: --filters on the command line' },
            'Channel',
          ),
          channelInput,
        ),
        h('label', {}, h('span', {}, 'Explain'), classSelect),
        picker,
      ),
      h(
        'div',
        { class: 'results' },
        h('h3', {}, 'Attributions on the image'),
        methodsForm,
        attributions,
        h('h3', {}, 'Top-9 dataset patches of the channel'),
        patches.element,
        h('h3', {}, 'Weights (click a kernel to pick the channel it makes)'),
        weightsNote,
        weightsGrid,
      ),
    ),
  );
  void ctx.client
    .call('attributionMethods', {})
    .then((catalog) => {
      const form = attributionForm(catalog, (choice) => {
        chosen = choice;
        void showAttributions();
      });
      chosen = form.choice();
      methodsForm.replaceChildren(form.element);
      void showAttributions();
    })
    .catch((error) => ctx.showError(error));
  void showWeights();
  void showPatches().catch((error) => ctx.showError(error));
  return { dispose: () => undefined };
}
