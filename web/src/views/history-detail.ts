/**
 * The large view of one tile: the image at any recorded frame through a history slider
 * (play/pause, step number, activation at that frame), the activation-vs-step chart with the
 * frame marked, and downloads (PNG, GIF of the history, zip of the frames, manifest). While
 * the run goes on and the slider sits at the newest frame, it follows the run.
 */
import { drawChart } from '../draw/chart.js';
import { formatValue, h } from '../draw/dom.js';
import { download, drawRgba, pngBytes } from '../draw/images.js';
import {
  finalImage,
  historyGif,
  itemStats,
  runManifest,
  runZip,
  type RunRecord,
} from '../export/run-export.js';

export class HistoryDetail {
  readonly element: HTMLElement;
  private readonly canvas = h('canvas', { class: 'pixels detail-image' });
  private readonly slider = h('input', {
    type: 'range',
    min: 0,
    max: 0,
    value: 0,
    class: 'history-slider',
  });
  private readonly caption = h('div', { class: 'detail-caption' });
  /** The best image's statistics (issue 16's measures of what a person sees), once the run ends. */
  private readonly stats = h('div', { class: 'detail-stats' });
  private readonly chart = h('canvas', { class: 'chart' });
  private readonly play = h('button', { type: 'button', class: 'play' }, 'Play');
  private timer: ReturnType<typeof setInterval> | null = null;
  private follow = true;

  constructor(
    private readonly run: RunRecord,
    readonly item: number,
    onClose: () => void,
  ) {
    const name = run.items[item].stem;
    this.slider.addEventListener('input', () => {
      this.follow = Number(this.slider.value) === this.run.frames.length - 1;
      this.show(Number(this.slider.value));
    });
    this.play.addEventListener('click', () =>
      this.timer ? this.stopPlaying() : this.startPlaying(),
    );
    const button = (label: string, action: () => void | Promise<void>) =>
      h('button', { type: 'button', onclick: () => void action() }, label);
    this.element = h(
      'section',
      { class: 'detail', 'data-item': item },
      h(
        'header',
        {},
        h('h3', {}, run.items[item].caption),
        h('button', { type: 'button', class: 'close', onclick: onClose, title: 'close' }, '×'),
      ),
      this.canvas,
      h('div', { class: 'slider-row' }, this.play, this.slider),
      this.caption,
      this.stats,
      this.chart,
      h(
        'div',
        { class: 'downloads' },
        button('PNG', async () =>
          download(`${name}.png`, await pngBytes(finalImage(run, item)), 'image/png'),
        ),
        button('GIF', () => download(`${name}.gif`, historyGif(run, item), 'image/gif')),
        button('Frames (zip)', async () =>
          download(`${name}.zip`, await runZip(run, item), 'application/zip'),
        ),
        button('manifest.json', () =>
          download('manifest.json', JSON.stringify(runManifest(run), null, 2), 'application/json'),
        ),
        button('Whole run (zip)', async () =>
          download('run.zip', await runZip(run), 'application/zip'),
        ),
      ),
    );
    this.refresh();
  }

  /** Called after every new frame of the run. */
  refresh(): void {
    const last = this.run.frames.length - 1;
    this.slider.max = String(Math.max(0, last));
    if (this.follow) this.slider.value = String(last);
    this.show(Number(this.slider.value));
  }

  private show(index: number): void {
    const frame = this.run.frames[index];
    if (!frame) return;
    drawRgba(this.canvas, frame.images[this.item]);
    this.canvas.dataset.step = String(frame.step);
    this.caption.textContent = `step ${frame.step} · activation ${formatValue(frame.scores[this.item])} · frame ${index + 1} of ${this.run.frames.length}`;
    const points = this.run.frames.map((f) => ({ step: f.step, value: f.scores[this.item] }));
    drawChart(this.chart, points, frame.step);
    this.showStats();
  }

  private showStats(): void {
    const done = this.run.done;
    if (!done) return void this.stats.replaceChildren();
    const stats = itemStats(done, this.item);
    const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
    const through =
      stats.objectiveWithTransforms === undefined
        ? ''
        : ` · through the transforms ${formatValue(stats.objectiveWithTransforms)}`;
    this.stats.textContent = `best image: saturated ${percent(stats.saturated)} · high-frequency ${percent(stats.highFrequency)} · objective ${formatValue(stats.objective)}${through}`;
    this.stats.title =
      'saturated: colour values within 0.02 of 0 or 1; high-frequency: share of the brightness spectrum above 0.25 cycles/px (see the README)';
    for (const [key, value] of Object.entries(stats)) this.stats.dataset[key] = String(value);
  }

  private startPlaying(): void {
    this.play.textContent = 'Pause';
    if (Number(this.slider.value) >= this.run.frames.length - 1) this.slider.value = '0';
    this.timer = setInterval(() => {
      const next = Number(this.slider.value) + 1;
      if (next >= this.run.frames.length) return this.stopPlaying();
      this.slider.value = String(next);
      this.follow = false;
      this.show(next);
    }, 80);
  }

  private stopPlaying(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = 'Play';
  }

  dispose(): void {
    this.stopPlaying();
    this.element.remove();
  }
}
