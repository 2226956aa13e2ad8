/**
 * The activation-vs-step chart of the detail view: one polyline on a canvas, axes labelled
 * with the step range and the value range, and a marker at the frame the slider shows.
 */
import { formatValue } from './dom.js';

export interface ChartPoint {
  step: number;
  value: number;
}

export function drawChart(canvas: HTMLCanvasElement, points: ChartPoint[], marker?: number): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth || 320;
  const height = canvas.clientHeight || 140;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext('2d')!;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  if (points.length === 0) return;
  const pad = { left: 48, right: 8, top: 8, bottom: 20 };
  const steps = points.map((p) => p.step);
  const values = points.map((p) => p.value);
  const [s0, s1] = [Math.min(...steps), Math.max(...steps, Math.min(...steps) + 1)];
  const v0 = Math.min(...values, 0);
  const v1 = Math.max(...values, v0 + 1e-6);
  const x = (s: number) => pad.left + ((s - s0) / (s1 - s0)) * (width - pad.left - pad.right);
  const y = (v: number) =>
    height - pad.bottom - ((v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  g.strokeStyle = '#8888';
  g.beginPath();
  g.moveTo(pad.left, pad.top);
  g.lineTo(pad.left, height - pad.bottom);
  g.lineTo(width - pad.right, height - pad.bottom);
  g.stroke();
  g.fillStyle = '#888';
  g.font = '11px system-ui, sans-serif';
  g.fillText(formatValue(v1), 2, pad.top + 8);
  g.fillText(formatValue(v0), 2, height - pad.bottom);
  g.fillText(`step ${s0}`, pad.left, height - 4);
  const last = `step ${s1}`;
  g.fillText(last, width - pad.right - g.measureText(last).width, height - 4);
  g.strokeStyle = '#2b7de9';
  g.lineWidth = 2;
  g.beginPath();
  points.forEach((p, i) =>
    i === 0 ? g.moveTo(x(p.step), y(p.value)) : g.lineTo(x(p.step), y(p.value)),
  );
  g.stroke();
  if (marker !== undefined) {
    g.strokeStyle = '#e94b2b';
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(x(marker), pad.top);
    g.lineTo(x(marker), height - pad.bottom);
    g.stroke();
  }
}
