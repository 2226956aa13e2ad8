/**
 * Receptive fields from the layer graph: for a unit of a layer, which input pixels can affect
 * it. Per axis we track `size` (pixels), `jump` (input pixels between neighbouring units) and
 * `start` (input-pixel coordinate of the center of the first unit; pixel i has center i), with
 * the recurrence for a layer of kernel k, stride s, dilation d and top/left padding p:
 *   size' = size + (d(k-1)) * jump;  jump' = jump * s;  start' = start + (d(k-1)/2 - p) * jump.
 */
export interface AxisField {
  size: number;
  jump: number;
  start: number;
}

/** Receptive field of the units of one layer, per axis (vertical, horizontal). */
export interface ReceptiveField {
  vertical: AxisField;
  horizontal: AxisField;
}

export const INPUT_FIELD: ReceptiveField = {
  vertical: { size: 1, jump: 1, start: 0 },
  horizontal: { size: 1, jump: 1, start: 0 },
};

/** A sliding window along one axis: effective kernel size, stride and leading padding. */
export interface AxisWindow {
  kernel: number;
  stride: number;
  dilation: number;
  padBefore: number;
}

export function applyWindow(field: AxisField, window: AxisWindow): AxisField {
  const span = window.dilation * (window.kernel - 1);
  return {
    size: field.size + span * field.jump,
    jump: field.jump * window.stride,
    start: field.start + (span / 2 - window.padBefore) * field.jump,
  };
}

/**
 * Leading padding tfjs/TensorFlow uses for `padding` over an input of `inSize` (same padding
 * puts the odd pixel at the end). Unknown sizes assume the input divides evenly.
 */
export function padBefore(
  padding: 'same' | 'valid' | 'causal',
  inSize: number | null,
  kernel: number,
  stride: number,
  dilation: number,
): number {
  if (padding === 'valid') return 0;
  const effective = dilation * (kernel - 1) + 1;
  const size = inSize ?? stride;
  const outSize = Math.ceil(size / stride);
  const total = Math.max((outSize - 1) * stride + effective - size, 0);
  return Math.floor(total / 2);
}

/** The union of several fields with the same jump (merge layers such as Add or Concatenate). */
export function unionFields(fields: ReceptiveField[]): ReceptiveField {
  const unionAxis = (axes: AxisField[]): AxisField => {
    const lo = Math.min(...axes.map((a) => a.start - (a.size - 1) / 2));
    const hi = Math.max(...axes.map((a) => a.start + (a.size - 1) / 2));
    return { size: hi - lo + 1, jump: Math.max(...axes.map((a) => a.jump)), start: (lo + hi) / 2 };
  };
  return {
    vertical: unionAxis(fields.map((f) => f.vertical)),
    horizontal: unionAxis(fields.map((f) => f.horizontal)),
  };
}

/** Input-pixel box [x0, y0, x1, y1) of the unit at (y, x), clamped to a height x width image. */
export function receptiveBox(
  field: ReceptiveField,
  y: number,
  x: number,
  height: number,
  width: number,
): [number, number, number, number] {
  const axis = (a: AxisField, i: number, limit: number): [number, number] => {
    const center = a.start + i * a.jump;
    const lo = Math.ceil(center - (a.size - 1) / 2);
    const hi = Math.floor(center + (a.size - 1) / 2) + 1;
    return [Math.max(0, lo), Math.min(limit, hi)];
  };
  const [y0, y1] = axis(field.vertical, y, height);
  const [x0, x1] = axis(field.horizontal, x, width);
  return [x0, y0, x1, y1];
}

/** The receptive-field box [x0, y0, x1, y1) of unit (y, x), not clamped (it may leave the image). */
export function unclampedBox(
  field: ReceptiveField,
  y: number,
  x: number,
): [number, number, number, number] {
  const axis = (a: AxisField, i: number) => {
    const center = a.start + i * a.jump;
    return [Math.ceil(center - (a.size - 1) / 2), Math.floor(center + (a.size - 1) / 2) + 1];
  };
  const [y0, y1] = axis(field.vertical, y);
  const [x0, x1] = axis(field.horizontal, x);
  return [x0, y0, x1, y1];
}
