/**
 * A small builder for ONNX graphs: add nodes (op type, inputs, attributes) and initializers
 * (constant tensors), declare graph inputs and outputs, and encode the ModelProto bytes that
 * ONNX Runtime loads. Value names are generated unique; the protobuf encoding is onnx-proto's.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Attribute values as ONNX knows them: int, float, ints, floats, string. */
export type Attribute = number | number[] | string | { float: number } | { floats: number[] };

/** The opset the lowered graphs use (ScatterElements with reduction needs 16). */
export const OPSET = 17;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT32 = onnx.TensorProto.DataType.INT32;

/** A dimension: a number, or a symbolic name (e.g. 'batch'). */
export type Dim = number | string;

function attributeProto(name: string, value: Attribute): InstanceType<typeof onnx.AttributeProto> {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  }
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: A.INT, i: value });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: value });
  if ('float' in value) return onnx.AttributeProto.create({ name, type: A.FLOAT, f: value.float });
  return onnx.AttributeProto.create({ name, type: A.FLOATS, floats: value.floats });
}

/** A typed value; `dims` null leaves the shape to ONNX Runtime's inference. */
function valueInfo(name: string, elemType: number, dims: Dim[] | null) {
  const shape = dims && {
    dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
  };
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, ...(shape ? { shape } : {}) } },
  });
}

export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: ReturnType<typeof valueInfo>[] = [];
  private readonly outputs: ReturnType<typeof valueInfo>[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}#${this.counter++}`;
  }

  /** Adds a node; returns its output names (`outputs` of them, fresh unless given). */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
    outputs: number | string[] = 1,
  ): string[] {
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(opType))
        : outputs;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: names,
        name: this.fresh(`n_${opType}`),
        attribute: Object.entries(attributes).map(([k, v]) => attributeProto(k, v)),
      }),
    );
    return names;
  }

  /** A single-output node. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}): string {
    return this.node(opType, inputs, attributes)[0];
  }

  /** A float32 constant. */
  floats(prefix: string, values: Float32Array | number[], dims: number[]): string {
    const name = this.fresh(prefix);
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: FLOAT,
        dims,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** An int64 constant (shapes, axes, pads); identical ones are shared. */
  ints(values: number[], dims: number[] = [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('i64');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: INT64,
        dims,
        rawData: new Uint8Array(data.buffer),
      }),
    );
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant; identical ones are shared. */
  scalar(value: number): string {
    const key = `f:${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.floats('f32', [value], []);
    this.constants.set(key, name);
    return name;
  }

  /** A graph input: float32, or int32 (gather indices). */
  input(name: string, dims: Dim[], type: 'float32' | 'int32' = 'float32'): string {
    this.inputs.push(valueInfo(name, type === 'int32' ? INT32 : FLOAT, dims));
    return name;
  }

  /** Declares `value` as a graph output called `name`. */
  output(name: string, value: string): void {
    this.node('Identity', [value], {}, [name]);
    this.outputs.push(valueInfo(name, FLOAT, null));
  }

  /** The encoded ModelProto. */
  encode(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'convscope',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: onnx.GraphProto.create({
        name: 'convscope',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
