/**
 * The filters and classes views (the heart of the workbench): pick a layer and filters (or
 * classes), a preset and its options; Run. One tile per item, redrawn every few steps with its
 * activation; pause, resume, stop, re-run with a new seed. A click on a tile opens its history
 * (slider, chart, downloads). The optimization runs in the worker; this view only draws.
 */
import type { ObjectiveSpec } from '../../../src/core/objectives/objective-spec.js';
import { defaultPresetFor, getPreset } from '../../../src/core/optimize/presets.js';
import { parseObjectiveExpression } from '../../../src/core/objectives/objective-expression.js';
import {
  channelItems,
  classIndexOf,
  classItems,
  facetItems,
} from '../../../src/core/run/run-items.js';
import { specItems } from '../../../src/core/run/spec-items.js';
import type { RunningJob } from '../bridge/client.js';
import { formatValue, h } from '../draw/dom.js';
import { drawRgba } from '../draw/images.js';
import { defaultFilters } from '../state.js';
import type { RunItem, RunRecord } from '../export/run-export.js';
import { layerOption, type ViewContext, type ViewHandle } from './context.js';
import { HistoryDetail } from './history-detail.js';
import { settingsForm } from './settings-form.js';

type Task = 'filters' | 'classes';

/** Items optimized together in the page: one batch in the worker's memory. */
const MAX_ITEMS = 64;

/** Items and objectives of the form's current choice (errors name the valid range). */
function chooseItems(
  ctx: ViewContext,
  task: Task,
): { items: RunItem[]; objectives: ObjectiveSpec[]; layer: string } {
  const chosen = withFacets(chooseAll(ctx, task), facetCount(ctx));
  if (chosen.items.length > MAX_ITEMS) {
    throw Object.assign(
      new Error(
        `${chosen.items.length} ${task} in one run is more than the page runs at once (${MAX_ITEMS})`,
      ),
      {
        hint: `choose fewer, e.g. 0-15; for whole layers use the CLI (\`convscope ${task} ... --workers auto\`)`,
      },
    );
  }
  return chosen;
}

/** Images per item (the `diversity` setting): `maximize` makes N per objective, unit-major. */
const facetCount = (ctx: ViewContext): number =>
  Math.max(1, Number(ctx.state.options.diversity ?? 1) || 1);

/** One tile per image: each item N times (core's facet stems), captioned with its facet. */
function withFacets<T extends { items: RunItem[] }>(chosen: T, facets: number): T {
  if (facets <= 1) return chosen;
  const items = facetItems(chosen.items, facets).map((item) => ({
    ...item,
    caption: `${item.caption} · ${item.facet}`,
  }));
  return { ...chosen, items };
}

/** The form's items through core run-items.ts: the CLI's class grammar, stems and objectives. */
function chooseAll(
  ctx: ViewContext,
  task: Task,
): { items: RunItem[]; objectives: ObjectiveSpec[]; layer: string } {
  const { model, state } = ctx;
  const typed = state.objective?.trim();
  if (typed) {
    // The CLI's `--objective` language; the worker checks layers and channels against the model.
    const spec = parseObjectiveExpression(
      typed,
      (name) => {
        const index = classIndexOf(name, model.classes ?? 0, model.labels);
        return { index, label: model.labels?.[index] };
      },
      'field',
    );
    const items = specItems([spec]).map((item) => ({
      ...item,
      caption: item.label ?? `class ${item.index}`,
    }));
    return { items, objectives: [spec], layer: items[0].layer ?? 'logits' };
  }
  if (task === 'classes') {
    const items = classItems(state.classes, model.classes ?? 0, model.labels).map((item) => ({
      ...item,
      caption: item.label ?? `class ${item.index}`,
    }));
    return { items, objectives: items.map((i) => i.spec), layer: 'logits' };
  }
  const layer = state.layer ?? model.defaultLayer;
  const node = model.layers.find((l) => l.name === layer);
  const channels = node?.channels ?? 0;
  const items = channelItems(layer, channels, state.filters ?? defaultFilters(channels)).map(
    (item) => ({ ...item, caption: `filter ${item.index}` }),
  );
  return { items, objectives: items.map((i) => i.spec), layer };
}

export function mountOptimizeView(root: HTMLElement, ctx: ViewContext, task: Task): ViewHandle {
  const { model } = ctx;
  let job: RunningJob | null = null;
  let run: RunRecord | null = null;
  let detail: HistoryDetail | null = null;
  let paused = false;
  const tiles = h('div', { class: 'tiles' });
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Ready.');
  const detailSlot = h('div', { class: 'detail-slot' });

  const layers = model.layers.filter((l) => l.spatial && l.channels);
  const layerSelect = h(
    'select',
    { name: 'layer' },
    ...layers.map((l) => layerOption(l, l.name === (ctx.state.layer ?? model.defaultLayer))),
  );
  const layerChannels = () =>
    layers.find((l) => l.name === (ctx.state.layer ?? model.defaultLayer))?.channels ?? 0;
  const itemsTitle =
    task === 'classes'
      ? 'e.g. 0-9, 3,7, all or class names, mixed: 0-2,Bag'
      : 'e.g. 0-15, 3,9,12 or all';
  const itemsInput = h('input', {
    name: task,
    // `all` of ImageNet's 1,000 classes is no default for one batch: start with eight.
    value:
      task === 'filters'
        ? (ctx.state.filters ?? defaultFilters(layerChannels()))
        : ctx.state.classes === 'all' && (model.classes ?? 0) > MAX_ITEMS
          ? '0-7'
          : ctx.state.classes,
    title: itemsTitle,
  });
  layerSelect.addEventListener('change', () => {
    ctx.update({ layer: layerSelect.value });
    // The default follows the layer; a spec someone typed stays (and is checked at Run).
    if (task === 'filters' && ctx.state.filters === undefined)
      itemsInput.value = defaultFilters(layerChannels());
  });
  if (task === 'classes' && itemsInput.value !== ctx.state.classes) {
    ctx.update({ classes: itemsInput.value });
  }
  itemsInput.addEventListener('change', () => {
    if (task === 'classes') return ctx.update({ classes: itemsInput.value });
    // An emptied field means the default again.
    const typed = itemsInput.value.trim();
    ctx.update({ filters: typed || undefined });
    if (!typed) itemsInput.value = defaultFilters(layerChannels());
  });
  const objectiveInput = h('input', {
    name: 'objective',
    value: ctx.state.objective ?? '',
    placeholder: 'optional, e.g. block2_conv1:3 - 1e-3*tv',
    title:
      "any objective instead of the chosen items, as the CLI's --objective: layer:k (a channel's mean), neuron(layer:k), class(k or name), deepdream(layer), tv, lp(p), sums, differences and factors",
  });
  // A typed objective replaces the items: their field is off while it is set.
  const itemsOff = () => {
    itemsInput.disabled = objectiveInput.value.trim() !== '';
    itemsInput.title = itemsInput.disabled
      ? 'the objective below is optimized instead'
      : itemsTitle;
  };
  objectiveInput.addEventListener('change', () => {
    ctx.update({ objective: objectiveInput.value.trim() || undefined });
    itemsOff();
  });
  objectiveInput.addEventListener('input', itemsOff);
  itemsOff();
  const seedInput = h('input', {
    name: 'seed',
    type: 'number',
    value: ctx.state.seed,
    class: 'short',
  });
  seedInput.addEventListener('change', () => ctx.update({ seed: Number(seedInput.value) || 0 }));
  const preset = ctx.state.preset ?? defaultPresetFor(task, model.input.channels);
  const form = settingsForm({
    preset,
    overrides: ctx.state.options,
    showSize: model.acceptsAnySize,
    onChange: (name, options) => ctx.update({ preset: name, options }),
  });
  const runButton = h('button', { type: 'button', class: 'run primary' }, 'Run');
  const pauseButton = h('button', { type: 'button', class: 'pause', disabled: true }, 'Pause');
  const stopButton = h('button', { type: 'button', class: 'stop', disabled: true }, 'Stop');
  const reseedButton = h('button', { type: 'button', class: 'reseed' }, 'New seed');

  const setRunning = (running: boolean) => {
    runButton.disabled = running;
    pauseButton.disabled = !running;
    stopButton.disabled = !running;
    pauseButton.textContent = 'Pause';
    paused = false;
  };

  const openDetail = (i: number) => {
    detail?.dispose();
    if (!run) return;
    detail = new HistoryDetail(run, i, () => {
      detail?.dispose();
      detail = null;
    });
    detailSlot.replaceChildren(detail.element);
  };

  const start = async () => {
    let chosen;
    try {
      chosen = chooseItems(ctx, task);
    } catch (error) {
      status.textContent = 'Not started: see the error above.';
      ctx.showError(error);
      return;
    }
    detail?.dispose();
    detail = null;
    const presetName = ctx.state.preset ?? preset;
    const steps = Number(ctx.state.options.steps ?? getPreset(presetName).settings.steps);
    const current: RunRecord = {
      model: model.name,
      layer: chosen.layer,
      preset: presetName,
      seed: ctx.state.seed,
      items: chosen.items,
      frames: [],
      backend: ctx.backend,
    };
    run = current;
    const canvases = chosen.items.map(() => h('canvas', { class: 'pixels' }));
    const values = chosen.items.map(() => h('span', { class: 'value' }, '…'));
    tiles.replaceChildren(
      ...chosen.items.map((item, i) =>
        h(
          'figure',
          {
            class: 'tile',
            'data-index': item.index,
            onclick: () => openDetail(i),
            title: 'click for its history',
          },
          canvases[i],
          h('figcaption', {}, h('span', { class: 'name' }, item.caption), ' ', values[i]),
        ),
      ),
    );
    setRunning(true);
    status.textContent = `Starting ${chosen.items.length} ${task}…`;
    job = ctx.client.maximize(
      {
        objectives: chosen.objectives,
        preset: presetName,
        overrides: ctx.state.options,
        seed: ctx.state.seed,
        frameEvery: Math.max(1, Math.round(steps / 128)),
      },
      (frame) => {
        if (run !== current) return;
        // The last frame comes twice (step `steps`, then again with the result): keep one.
        const record = { step: frame.step, scores: frame.scores, images: frame.images };
        if (current.frames.at(-1)?.step === frame.step)
          current.frames[current.frames.length - 1] = record;
        else current.frames.push(record);
        frame.images.forEach((image, i) => {
          drawRgba(canvases[i], image);
          canvases[i].dataset.step = String(frame.step);
          values[i].textContent = formatValue(frame.scores[i]);
          values[i].dataset.value = String(frame.scores[i]);
        });
        tiles.dataset.step = String(frame.step);
        status.textContent = `step ${frame.step} of ${frame.steps} · ${frame.rate.toFixed(1)} steps/s · ${ctx.backend.backend}`;
        detail?.refresh();
      },
    );
    try {
      const done = await job.done;
      if (run !== current) return;
      current.done = done;
      // An open detail view adds the best image's statistics (`detail` is set by clicks meanwhile).
      (detail as HistoryDetail | null)?.refresh();
      // A filter whose activation stayed 0 is dead: its flat tile shows nothing of it (the CLI's
      // grid says the same).
      // With diversity the tiles show each unit's own activation (no similarity term).
      const unit = done.unitScores ?? done.bestScores;
      const dead = (i: number) => chosen.items[i].spec.kind === 'channel' && !(unit[i] > 0);
      done.best.forEach((image, i) => {
        drawRgba(canvases[i], image);
        values[i].textContent = dead(i) ? 'dead (a=0)' : formatValue(unit[i]);
        // The unrounded value, for the cross-backend browser tests.
        values[i].dataset.value = String(unit[i]);
      });
      tiles.dataset.done = 'true';
      const deadCount = done.bestScores.filter((_, i) => dead(i)).length;
      const deadNote = deadCount
        ? ` ${deadCount} dead (activation 0 at every step): their tiles show nothing of the filter.`
        : '';
      status.textContent = `${done.aborted ? 'Stopped' : 'Done'} at step ${done.steps} in ${done.seconds.toFixed(1)} s (${(done.steps / Math.max(done.seconds, 1e-3)).toFixed(1)} steps/s, ${ctx.backend.backend}); tiles show each image's best step. Click a tile for its history.${deadNote}`;
    } catch (error) {
      if (run === current) {
        status.textContent = 'Failed.';
        ctx.showError(error);
      }
    } finally {
      if (run === current) {
        job = null;
        setRunning(false);
      }
    }
  };

  runButton.addEventListener('click', () => void start());
  pauseButton.addEventListener('click', () => {
    if (!job) return;
    paused = !paused;
    if (paused) job.pause();
    else job.resume();
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    status.textContent = paused
      ? `Paused. ${status.textContent}`
      : status.textContent.replace(/^Paused\. /, '');
  });
  stopButton.addEventListener('click', () => job?.stop());
  reseedButton.addEventListener('click', () => {
    job?.stop();
    const seed = ctx.state.seed + 1;
    seedInput.value = String(seed);
    ctx.update({ seed });
    void start();
  });

  root.replaceChildren(
    h(
      'section',
      { class: `view optimize ${task}` },
      h(
        'form',
        { class: 'controls', onsubmit: (e: Event) => e.preventDefault() },
        task === 'filters' ? h('label', {}, h('span', {}, 'Layer'), layerSelect) : null,
        h('label', {}, h('span', {}, task === 'filters' ? 'Filters' : 'Classes'), itemsInput),
        h('label', {}, h('span', {}, 'Objective'), objectiveInput),
        h('label', {}, h('span', {}, 'Seed'), seedInput),
        form,
        h('div', { class: 'buttons' }, runButton, pauseButton, stopButton, reseedButton),
        status,
      ),
      h('div', { class: 'results' }, tiles, detailSlot),
    ),
  );
  return {
    dispose: () => {
      job?.stop();
      run = null;
      detail?.dispose();
    },
  };
}
