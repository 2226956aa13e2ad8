/**
 * Imports an ONNX CNN (e.g. from `torch.onnx.export`) as a TF.js LayersModel, so every convscope
 * method, both engines and the browser run it through the one graph they already share. Layers
 * are named by PyTorch module path (module-names.ts); constant subgraphs are evaluated
 * (fold-constants.ts); each remaining node becomes layers (onnx-op-layers.ts). Pure TS with no
 * Node APIs: the workbench imports dropped .onnx files with the same code.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../../errors.js';
import { foldConstant, unfoldable } from './fold-constants.js';
import { layerNames } from './module-names.js';
import { attributes, decodeModel, tensorValue, valueDims, type Constant, type ExternalDataReader, type NodeProto } from './onnx-read.js';
import { HardSigmoid, HardSwish, conv, dense, floats, globalPool, pool, unsupportedOp, type OpContext, type TensorValue } from './onnx-op-layers.js';

export interface OnnxImportOptions {
  /** Names the model in messages (a path or URL). */
  source: string;
  /** Input [height, width] for models exported with dynamic spatial axes (or to override). */
  size?: [number, number];
  /** Reads weights stored as external data (Node: a file beside the model). */
  readExternal?: ExternalDataReader;
}

export interface ImportedOnnx {
  model: tf.LayersModel;
  /** Container module paths -> the layer that is their output (`layer1.0` -> `layer1.0.relu_1`). */
  aliases: Map<string, string>;
  /** Notes on layers, e.g. a batch norm the exporter folded into a convolution. */
  notes: Map<string, string>;
}

/** Nodes that pass their input through at inference. */
const PASS = new Set(['Identity', 'Dropout']);

const ACTIVATIONS: Record<string, string> = {
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softplus: 'softplus',
  Softsign: 'softsign',
  Selu: 'selu',
};

/** Ops whose output is >= 0 whatever their input. */
const NON_NEGATIVE = new Set(['Relu', 'Sigmoid', 'Softmax', 'HardSigmoid', 'Softplus']);

function inputOf(model: ReturnType<typeof decodeModel>, constants: Map<string, Constant>, options: OnnxImportOptions) {
  const inputs = (model.graph!.input ?? []).filter((i) => !constants.has(i.name ?? ''));
  if (inputs.length !== 1) {
    throw new ConvscopeError(`${options.source} has ${inputs.length} inputs; convscope supports models with one image input`);
  }
  const dims = valueDims(inputs[0]);
  if (!dims || dims.length !== 4) {
    throw new ConvscopeError(`the input of ${options.source} has shape [${dims?.join(', ') ?? '?'}]; convscope needs images [batch, channels, height, width]`);
  }
  const [, channels, h, w] = dims;
  if (channels !== 1 && channels !== 3) {
    throw new ConvscopeError(`the input of ${options.source} has ${channels ?? 'a dynamic number of'} channels; convscope supports gray (1) and RGB (3) models`);
  }
  const [height, width] = options.size ?? [h, w];
  if (height == null || width == null) {
    throw new ConvscopeError(
      `${options.source} takes any input size (its height and width are dynamic)`,
      'pass --size PX (e.g. --size 224) to fix it',
    );
  }
  return { name: inputs[0].name ?? 'input', shape: [height, width, channels] };
}

/** Which values are constants (initializers, Constant nodes and everything computed only from them). */
function constantValues(nodes: NodeProto[], initial: Set<string>): Set<string> {
  const known = new Set(initial);
  for (const node of nodes) {
    const inputs = node.input.filter(Boolean);
    if (node.opType === 'Shape' || inputs.every((i) => known.has(i))) node.output.forEach((o) => known.add(o));
  }
  return known;
}

function buildLayer(ctx: OpContext, opType: string): TensorValue {
  const x = () => ctx.tensor(0);
  const apply = (layer: tf.layers.Layer, inputs: TensorValue[] = [x()]) =>
    ({ sym: layer.apply(inputs.length === 1 ? inputs[0].sym : inputs.map((v) => v.sym)) as tf.SymbolicTensor, nonNegative: NON_NEGATIVE.has(opType) || undefined });
  const name = ctx.name;
  switch (opType) {
    case 'Conv':
      return conv(ctx);
    case 'MaxPool':
    case 'AveragePool':
      return pool(ctx, opType === 'MaxPool' ? 'max' : 'avg');
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return globalPool(ctx, opType === 'GlobalMaxPool' ? 'max' : 'avg');
    case 'Gemm':
    case 'MatMul':
      return dense(ctx);
    case 'Relu':
      return apply(tf.layers.reLU({ name }));
    case 'Clip': {
      const bound = (i: number, attr: string) => {
        const c = ctx.constant(i);
        return c ? Number(c.data[0]) : (ctx.attrs.get(attr) as number | undefined);
      };
      const [lo, hi] = [bound(1, 'min'), bound(2, 'max')];
      if (lo !== 0 || (hi !== undefined && hi !== 6 && hi < 3.4e38)) throw unsupportedOp(`Clip to [${lo}, ${hi}] (only ReLU and ReLU6 are)`, ctx.node);
      return { ...apply(tf.layers.reLU({ name, ...(hi === 6 ? { maxValue: 6 } : {}) })), nonNegative: true };
    }
    case 'LeakyRelu':
      return apply(tf.layers.leakyReLU({ name, alpha: Number(ctx.attrs.get('alpha') ?? 0.01) }));
    case 'Elu':
      return apply(tf.layers.elu({ name, alpha: Number(ctx.attrs.get('alpha') ?? 1) }));
    case 'HardSigmoid':
      return apply(new HardSigmoid({ name, alpha: Number(ctx.attrs.get('alpha') ?? 0.2), beta: Number(ctx.attrs.get('beta') ?? 0.5) }));
    case 'HardSwish':
      return apply(new HardSwish({ name }));
    case 'Softmax': {
      const rank = x().sym.shape.length;
      const axis = Number(ctx.attrs.get('axis') ?? -1);
      if (rank !== 2 || (axis !== -1 && axis !== 1)) throw unsupportedOp('Softmax other than over classes', ctx.node);
      return apply(tf.layers.softmax({ name }));
    }
    case 'BatchNormalization': {
      const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => ctx.constant(i)!).map((c) => ctx.fixed(floats(c), c.dims));
      const epsilon = Number(ctx.attrs.get('epsilon') ?? 1e-5);
      return apply(
        tf.layers.batchNormalization({
          axis: -1,
          epsilon,
          name,
          gammaInitializer: gamma,
          betaInitializer: beta,
          movingMeanInitializer: mean,
          movingVarianceInitializer: variance,
        }),
      );
    }
    case 'Add':
    case 'Sum':
    case 'Mul': {
      const inputs = ctx.node.input.map((_, i) => ctx.tensor(i));
      const layer = opType === 'Mul' ? tf.layers.multiply({ name }) : tf.layers.add({ name });
      return apply(layer, inputs);
    }
    case 'Concat': {
      const inputs = ctx.node.input.map((_, i) => ctx.tensor(i));
      const rank = inputs[0].sym.shape.length;
      const axis = Number(ctx.attrs.get('axis'));
      if (axis !== 1 && axis !== 1 - rank) throw unsupportedOp(`Concat over axis ${axis} (only channels are)`, ctx.node);
      return apply(tf.layers.concatenate({ axis: -1, name }), inputs);
    }
    case 'Flatten':
    case 'Reshape':
      return flatten(ctx, opType);
    case 'Pad': {
      const pads = ctx.constant(1) ? ctx.constant(1)!.data.map(Number) : (ctx.attrs.get('pads') as number[]);
      const value = ctx.constant(2) ? Number(ctx.constant(2)!.data[0]) : Number(ctx.attrs.get('value') ?? 0);
      const mode = String(ctx.attrs.get('mode') ?? 'constant');
      if (mode !== 'constant' || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5] || value !== 0) {
        throw unsupportedOp(`Pad (${mode}, value ${value}) other than zero rows and columns`, ctx.node);
      }
      return apply(tf.layers.zeroPadding2d({ name, padding: [[pads[2], pads[6]], [pads[3], pads[7]]] }));
    }
    default:
      if (ACTIVATIONS[opType]) return apply(tf.layers.activation({ name, activation: ACTIVATIONS[opType] as 'sigmoid' }));
      throw unsupportedOp(`op '${opType}'`, ctx.node);
  }
}

function flatten(ctx: OpContext, opType: string): TensorValue {
  const x = ctx.tensor(0);
  const shape = x.sym.shape;
  if (opType === 'Flatten' && Number(ctx.attrs.get('axis') ?? 1) !== 1) throw unsupportedOp('Flatten other than to [batch, features]', ctx.node);
  if (opType === 'Reshape') {
    const target = ctx.constant(1)?.data.map(Number) ?? [];
    const features = shape.slice(1).reduce((a, b) => (a as number) * (b as number), 1) as number;
    const toFlat = target.length === 2 && (target[1] === -1 || target[1] === features);
    if (!toFlat) throw unsupportedOp(`Reshape to [${target.join(', ')}] (only flattening is)`, ctx.node);
  }
  if (shape.length === 2) return x;
  const [h, w, c] = shape.slice(1) as number[];
  const sym = tf.layers.flatten({ name: ctx.name }).apply(x.sym) as tf.SymbolicTensor;
  return { sym, flatFrom: h * w > 1 ? [h, w, c] : undefined, nonNegative: x.nonNegative };
}

/** Imports ONNX bytes as a LayersModel with PyTorch module names. */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions): ImportedOnnx {
  const onnxModel = decodeModel(bytes, options.source);
  const graph = onnxModel.graph!;
  const nodes = (graph.node ?? []) as NodeProto[];
  const constants = new Map<string, Constant>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', tensorValue(t, options.readExternal));
  const input = inputOf(onnxModel, constants, options);
  const constant = constantValues(nodes, new Set(constants.keys()));
  const layerNodes = nodes.filter((n) => !n.output.every((o) => constant.has(o)) && !PASS.has(n.opType));
  const { names, aliases } = layerNames(layerNodes.map((n) => ({ name: n.name, opType: n.opType })));
  const nameOf = new Map(layerNodes.map((n, i) => [n, names[i]]));

  const inputSym = tf.input({ shape: input.shape, name: input.name });
  const values = new Map<string, TensorValue>([[input.name, { sym: inputSym }]]);
  const owned: tf.Tensor[] = [];
  const fixed = (values: Float32Array, shape: number[]) => {
    const tensor = tf.tensor(values, shape);
    owned.push(tensor);
    const initializer = tf.initializers.zeros();
    // Serialized (model.toJSON) it reads as zeros, with the weights saved beside it as usual.
    initializer.apply = () => tensor;
    return initializer;
  };
  const notes = new Map<string, string>();
  for (const node of nodes) {
    const attrs = attributes(node);
    if (node.output.every((o) => constant.has(o))) {
      if (node.opType === 'Shape') {
        const v = values.get(node.input[0]);
        const [, h, w, c] = v!.sym.shape as number[];
        constants.set(node.output[0], { dims: [v!.sym.shape.length], data: v!.sym.shape.length === 4 ? [1, c, h, w] : [1, v!.sym.shape[1] as number] });
        continue;
      }
      const folded = foldConstant(node.opType, node.input.map((i) => constants.get(i)), attrs);
      if (!folded) throw unfoldable(node.opType, node.name);
      constants.set(node.output[0], folded);
      continue;
    }
    if (PASS.has(node.opType)) {
      values.set(node.output[0], values.get(node.input[0])!);
      continue;
    }
    const name = nameOf.get(node)!;
    const ctx: OpContext = {
      node,
      name,
      attrs,
      tensor(i) {
        const v = values.get(node.input[i]);
        if (!v) throw unsupportedOp(`${node.opType} with a constant input '${node.input[i]}'`, node);
        return v;
      },
      constant: (i) => (node.input[i] ? constants.get(node.input[i]) : undefined),
      inputName: (i) => node.input[i],
      fixed,
    };
    values.set(node.output[0], buildLayer(ctx, node.opType));
    if (node.opType === 'Conv' && /^onnx::/.test(node.input[1])) notes.set(name, '+ batch norm (folded by the exporter)');
  }
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new ConvscopeError(`${options.source} has ${outputs.length} outputs; convscope supports models with one output`);
  }
  const output = values.get(outputs[0].name ?? '');
  if (!output) throw new ConvscopeError(`the output of ${options.source} is a constant`);
  const model = tf.model({ inputs: inputSym, outputs: output.sym, name: 'onnx' });
  // The variables hold their own references to the weights' data.
  tf.dispose(owned);
  return { model, aliases, notes };
}
