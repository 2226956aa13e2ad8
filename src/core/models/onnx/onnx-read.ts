/**
 * Reading an ONNX file: the ModelProto (onnx-proto's protobuf decoder), its tensors as plain
 * arrays and its node attributes as plain values. No Node APIs: weights stored as external data
 * are read through a callback the caller supplies (a file beside the model in Node).
 */
import onnxProto from 'onnx-proto';
import { ConvscopeError } from '../../errors.js';

const { onnx } = onnxProto;

export type ModelProto = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto & { name: string; opType: string; input: string[]; output: string[] };
export type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** A constant: float data (weights) or integers (shapes, pads, axes), with its dims. */
export interface Constant {
  dims: number[];
  data: Float32Array | number[];
}

/** Reads `length` bytes at `offset` of an external data file named `location` (beside the model). */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

const DataType = onnx.TensorProto.DataType;

/** Decodes an ONNX file; anything that is not one gives a one-line error. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ConvscopeError(
      `${source} is not an ONNX file (${(error as Error).message})`,
      'pass a model written by torch.onnx.export (is the download complete? an HTML error page?)',
    );
  }
  if (!model.graph?.node?.length) {
    throw new ConvscopeError(`${source} is not an ONNX model: it has no graph`, 'pass a model written by torch.onnx.export');
  }
  return model;
}

const toNumber = (v: number | { toNumber(): number }): number => (typeof v === 'number' ? v : v.toNumber());

/** True on little-endian hosts (all that run convscope), where float32 bytes copy as they are. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function floatsFromBytes(bytes: Uint8Array, type: number, count: number): Float32Array {
  // A byte copy (memcpy) rather than a DataView loop: VGG16 has 138M weights.
  if (type === DataType.FLOAT && LITTLE_ENDIAN) {
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (type === DataType.FLOAT) for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  else if (type === DataType.DOUBLE) for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  else if (type === DataType.FLOAT16) for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}

function intsFromBytes(bytes: Uint8Array, type: number, count: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (type === DataType.INT64) out.push(Number(view.getBigInt64(i * 8, true)));
    else if (type === DataType.INT32) out.push(view.getInt32(i * 4, true));
    else if (type === DataType.BOOL || type === DataType.UINT8) out.push(view.getUint8(i));
    else if (type === DataType.INT8) out.push(view.getInt8(i));
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16]);
const INT_TYPES = new Set<number>([DataType.INT64, DataType.INT32, DataType.BOOL, DataType.UINT8, DataType.INT8]);

function externalBytes(tensor: TensorProto, read: ExternalDataReader | undefined): Uint8Array {
  const entry = (key: string) => tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
  const location = entry('location');
  if (!location) throw new ConvscopeError(`tensor '${tensor.name}' is stored outside the file but names no location`);
  if (!read) {
    throw new ConvscopeError(
      `the weights of '${tensor.name}' are stored outside the model, in '${location}', which cannot be read here`,
      'export with the weights inside (models under 2 GB), or open the model from disk with its data file beside it',
    );
  }
  const offset = Number(entry('offset') ?? 0);
  const length = entry('length');
  return read(location, offset, length === undefined ? undefined : Number(length));
}

/** A tensor's values as a Constant (float tensors as Float32Array, integer ones as numbers). */
export function tensorValue(tensor: TensorProto, read?: ExternalDataReader): Constant {
  const dims = (tensor.dims ?? []).map((d) => toNumber(d as number));
  const count = dims.reduce((a, b) => a * b, 1);
  const type = tensor.dataType ?? 0;
  const external = tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
  const raw = external ? externalBytes(tensor, read) : (tensor.rawData ?? undefined);
  if (FLOAT_TYPES.has(type)) {
    if (raw && raw.length > 0) {
      const width = type === DataType.DOUBLE ? 8 : type === DataType.FLOAT16 ? 2 : 4;
      if (raw.length < count * width) {
        throw new ConvscopeError(
          `tensor '${tensor.name}' holds ${raw.length} bytes but its shape [${dims.join(', ')}] needs ${count * width}`,
          'the file is truncated or corrupt: export it again',
        );
      }
      return { dims, data: floatsFromBytes(raw, type, count) };
    }
    const source = type === DataType.DOUBLE ? tensor.doubleData : type === DataType.FLOAT ? tensor.floatData : [];
    if (type === DataType.FLOAT16) {
      return { dims, data: Float32Array.from(tensor.int32Data ?? [], (h) => halfToFloat(h)) };
    }
    return { dims, data: Float32Array.from((source ?? []) as ArrayLike<number>) };
  }
  if (INT_TYPES.has(type)) {
    if (raw && raw.length > 0) return { dims, data: intsFromBytes(raw, type, count) };
    const source = type === DataType.INT64 ? tensor.int64Data : tensor.int32Data;
    return { dims, data: Array.from((source ?? []) as ArrayLike<number | { toNumber(): number }>, toNumber) };
  }
  const name = Object.entries(DataType).find(([, v]) => v === type)?.[0] ?? String(type);
  throw new ConvscopeError(`tensor '${tensor.name}' has data type ${name}, which convscope does not read`);
}

/** Node attributes by name as plain values (ints, floats, lists, strings, tensors). */
export function attributes(node: NodeProto): Map<string, unknown> {
  const A = onnx.AttributeProto.AttributeType;
  const out = new Map<string, unknown>();
  for (const a of (node.attribute ?? []) as AttributeProto[]) {
    const value =
      a.type === A.INT ? toNumber(a.i as number)
      : a.type === A.FLOAT ? a.f
      : a.type === A.INTS ? (a.ints ?? []).map((v) => toNumber(v as number))
      : a.type === A.FLOATS ? [...(a.floats ?? [])]
      : a.type === A.STRING ? String.fromCharCode(...(a.s ?? [])) // ASCII: auto_pad, mode
      : a.type === A.TENSOR && a.t ? tensorValue(a.t)
      : undefined;
    out.set(a.name ?? '', value);
  }
  return out;
}

/** The model's shape dims of a value info: a number, or null where symbolic (dynamic). */
export function valueDims(info: onnxProto.onnx.IValueInfoProto): (number | null)[] | null {
  const shape = info.type?.tensorType?.shape;
  if (!shape?.dim) return null;
  return shape.dim.map((d) => (d.dimValue != null && toNumber(d.dimValue as number) > 0 ? toNumber(d.dimValue as number) : null));
}
