/**
 * Evaluates the small constant subgraphs exporters leave in a model: shape arithmetic that
 * computes pads or reshape targets (`nn.ZeroPad2d` exports Constant -> ConstantOfShape ->
 * Concat -> Reshape -> Slice -> Transpose -> Cast), `Identity` copies of shared weights, and
 * `Shape` of a value whose size is fixed. Values are small integer arrays; weights pass through.
 */
import { ConvscopeError } from '../../errors.js';
import type { Constant } from './onnx-read.js';

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function strides(dims: number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1] * dims[i + 1];
  return out;
}

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function broadcast(a: Constant, b: Constant, fn: (x: number, y: number) => number): Constant {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: number[]) => [...new Array<number>(rank - d.length).fill(1), ...d];
  const [da, db] = [pad(a.dims), pad(b.dims)];
  const dims = da.map((d, i) => Math.max(d, db[i]));
  const [sa, sb, so] = [strides(da), strides(db), strides(dims)];
  const data: number[] = [];
  for (let i = 0; i < count(dims); i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      const coord = Math.floor(i / so[k]) % dims[k];
      ia += (da[k] === 1 ? 0 : coord) * sa[k];
      ib += (db[k] === 1 ? 0 : coord) * sb[k];
    }
    data.push(fn(Number(a.data[ia]), Number(b.data[ib])));
  }
  return { dims, data };
}

function transpose(x: Constant, perm: number[]): Constant {
  const dims = perm.map((p) => x.dims[p]);
  const [si, so] = [strides(x.dims), strides(dims)];
  const data: number[] = [];
  for (let i = 0; i < count(dims); i++) {
    let source = 0;
    for (let k = 0; k < dims.length; k++) source += (Math.floor(i / so[k]) % dims[k]) * si[perm[k]];
    data.push(Number(x.data[source]));
  }
  return { dims, data };
}

function slice(x: Constant, starts: number[], ends: number[], axes: number[], steps: number[]): Constant {
  const rank = x.dims.length;
  const ranges = x.dims.map((d) => ({ start: 0, step: 1, size: d }));
  axes.forEach((rawAxis, k) => {
    const axis = axisOf(rawAxis, rank);
    const d = x.dims[axis];
    const step = steps[k] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const start = step > 0 ? clamp(starts[k], 0, d) : clamp(starts[k], -1, d - 1);
    const end = step > 0 ? clamp(ends[k], 0, d) : clamp(ends[k], -1, d - 1);
    ranges[axis] = { start, step, size: Math.max(0, Math.ceil((end - start) / step)) };
  });
  const dims = ranges.map((r) => r.size);
  const [si, so] = [strides(x.dims), strides(dims)];
  const data: number[] = [];
  for (let i = 0; i < count(dims); i++) {
    let source = 0;
    for (let k = 0; k < rank; k++) source += (ranges[k].start + (Math.floor(i / so[k]) % dims[k]) * ranges[k].step) * si[k];
    data.push(Number(x.data[source]));
  }
  return { dims, data };
}

function reshape(x: Constant, target: number[]): Constant {
  const dims = target.map((d, i) => (d === 0 ? x.dims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return { dims: dims.map((d) => (d === -1 ? count(x.dims) / known : d)), data: x.data };
}

const ints = (c: Constant | undefined) => (c ? Array.from(c.data, Number) : undefined);

/**
 * The outputs of `opType` on constant inputs, or null when the op is not one of the shape ops
 * evaluated here (the caller then reports it).
 */
export function foldConstant(
  opType: string,
  inputs: (Constant | undefined)[],
  attrs: Map<string, unknown>,
): Constant | null {
  const [x] = inputs;
  const attr = <T>(name: string, fallback: T) => (attrs.has(name) ? (attrs.get(name) as T) : fallback);
  switch (opType) {
    case 'Constant': {
      const value = attrs.get('value') ?? attrs.get('value_ints') ?? attrs.get('value_int') ?? attrs.get('value_float');
      if (value && typeof value === 'object' && 'dims' in value) return value as Constant;
      if (Array.isArray(value)) return { dims: [value.length], data: value as number[] };
      if (typeof value === 'number') return { dims: [], data: [value] };
      return null;
    }
    case 'Identity':
    case 'Cast':
      return x!;
    case 'ConstantOfShape': {
      const fill = attrs.get('value') as Constant | undefined;
      const dims = ints(x)!;
      return { dims, data: new Array<number>(count(dims)).fill(fill ? Number(fill.data[0]) : 0) };
    }
    case 'Concat': {
      const rank = x!.dims.length;
      if (rank !== 1) return null;
      const data = inputs.flatMap((c) => Array.from(c!.data, Number));
      return { dims: [data.length], data };
    }
    case 'Reshape':
      return reshape(x!, ints(inputs[1])!);
    case 'Unsqueeze':
    case 'Squeeze': {
      const axes = ints(inputs[1]) ?? attr<number[]>('axes', []);
      const dims = [...x!.dims];
      if (opType === 'Squeeze') {
        const drop = new Set(axes.map((a) => axisOf(a, dims.length)));
        return { dims: dims.filter((d, i) => (axes.length ? !drop.has(i) : d !== 1)), data: x!.data };
      }
      const rank = dims.length + axes.length;
      for (const a of axes.map((v) => axisOf(v, rank)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
      return { dims, data: x!.data };
    }
    case 'Transpose':
      return transpose(x!, attr('perm', x!.dims.map((_, i) => x!.dims.length - 1 - i)));
    case 'Slice': {
      const axes = ints(inputs[3]) ?? x!.dims.map((_, i) => i);
      return slice(x!, ints(inputs[1])!, ints(inputs[2])!, axes, ints(inputs[4]) ?? axes.map(() => 1));
    }
    case 'Gather': {
      if (axisOf(attr('axis', 0), x!.dims.length) !== 0 || x!.dims.length !== 1) return null;
      const index = inputs[1]!;
      const data = Array.from(index.data, (i) => Number(x!.data[Number(i) < 0 ? Number(i) + x!.dims[0] : Number(i)]));
      return { dims: index.dims, data };
    }
    case 'Add':
      return broadcast(x!, inputs[1]!, (a, b) => a + b);
    case 'Sub':
      return broadcast(x!, inputs[1]!, (a, b) => a - b);
    case 'Mul':
      return broadcast(x!, inputs[1]!, (a, b) => a * b);
    case 'Div':
      return broadcast(x!, inputs[1]!, (a, b) => (Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b));
    default:
      return null;
  }
}

/** The error for a constant subgraph op not evaluated here. */
export function unfoldable(opType: string, node: string): ConvscopeError {
  return new ConvscopeError(
    `cannot evaluate the constant ONNX op '${opType}' (node '${node}')`,
    'export with do_constant_folding=True (the default) and a fixed input size',
  );
}
