/**
 * Lowers convscope's layer graph to ONE ONNX graph per request: the forward pass to the layers
 * asked for and, when seeds are given, the hand-derived backward pass from those layers to the
 * input (or to an intermediate layer, for Grad-CAM), so ONNX Runtime runs forward and backward
 * in a single native call. NHWC at the graph's boundary (input, seeds, outputs, gradient),
 * NCHW inside. Only the layers the request needs are lowered; a layer without a lowering is
 * named in an `OnnxLoweringError`.
 */
import { ConvscopeError } from '../../core/errors.js';
import type { EngineRule } from '../../core/engines/network-engine.js';
import { LOGITS, ancestors, type LogitsSource } from '../../core/models/forward.js';
import type { LayerNode } from '../../core/models/layer-graph.js';
import { layerWeights, type LayerOp } from '../../core/models/layer-ops.js';
import { lowerBackward, activationBackward, type BackwardContext } from './lower-backward.js';
import { lowerForward, toNchwShape, type LoweredLayer } from './lower-forward.js';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** A layer that the ONNX engine cannot lower (auto engine selection falls back to TF.js). */
export class OnnxLoweringError extends ConvscopeError {
  constructor(
    readonly layer: string,
    readonly reason: string,
  ) {
    super(
      `the ONNX engine cannot run layer '${layer}' (${reason})`,
      'use --engine tfjs (or auto, which falls back to TF.js)',
    );
  }
}

export interface LoweringRequest {
  /** Layers (or `LOGITS`) whose values the graph returns, as `out:<name>`. */
  outputs: string[];
  /** Layers (or `LOGITS`) with a seed input `seed:<name>`; none: a forward-only graph. */
  seeds: string[];
  rule: EngineRule;
  /** Differentiate with respect to this layer's output (default: the input). */
  at?: string;
}

export interface LoweringModel {
  layers: LayerNode[];
  logits: LogitsSource;
  /** Model input [height, width, channels]. */
  input: [number, number, number];
}

const INPUT = '@input';
const rankOf = (node: LayerNode) => node.outputShape.length + 1;

/** The first layer among `names` (and what they need) that cannot be lowered, or null. */
export function firstUnsupported(
  model: LoweringModel,
  names: string[],
): { layer: string; reason: string } | null {
  const byName = new Map(model.layers.map((n) => [n.name, n]));
  const wanted = names.map((n) => (n === LOGITS ? model.logits.layer : n));
  const needed = ancestors(byName, wanted);
  for (const node of model.layers) {
    if (!needed.has(node.name)) continue;
    const reason = unsupportedReason(node);
    if (reason) return { layer: node.name, reason };
  }
  return null;
}

function unsupportedReason(node: LayerNode): string | null {
  if (node.op.op === 'unsupported') return node.op.reason;
  if (node.outputShape.some((d) => d == null)) return 'an output shape that is not fixed';
  if (node.op.op === 'dense' && node.inputs.length > 0 && node.outputShape.length !== 1) {
    return 'a Dense layer on a spatial input';
  }
  return null;
}

/**
 * What comes before and after the network when the graph carries more than the network (the
 * fused step's image side): the NCHW input value, and where the input's NCHW gradient goes.
 */
export interface GraphBoundary {
  input(b: OnnxGraphBuilder): string;
  gradient(b: OnnxGraphBuilder, value: string): void;
}

/** The ONNX model bytes for a request. */
export function lowerToOnnx(
  model: LoweringModel,
  request: LoweringRequest,
  boundary?: GraphBoundary,
): Uint8Array {
  const byName = new Map(model.layers.map((n) => [n.name, n]));
  const layerOf = (name: string) => (name === LOGITS ? model.logits.layer : name);
  const targets = [...request.outputs, ...request.seeds];
  const unsupported = firstUnsupported(model, targets);
  if (unsupported) throw new OnnxLoweringError(unsupported.layer, unsupported.reason);
  for (const name of [...targets, ...(request.at ? [request.at] : [])]) {
    if (name !== LOGITS && !byName.has(name)) throw new ConvscopeError(`unknown layer '${name}'`);
  }
  const needed = ancestors(byName, targets.map(layerOf));
  const withGradients = request.seeds.length > 0;
  const b = new OnnxGraphBuilder();
  const [h, w, c] = model.input;
  const input = boundary
    ? boundary.input(b)
    : b.op('Transpose', [b.input('input', ['batch', h, w, c])], { perm: [0, 3, 1, 2] });
  const lowered = new Map<string, LoweredLayer>();
  const valueOf = (name: string) => (name === INPUT ? input : lowered.get(name)!.out);
  const shapeOf = (name: string) => (name === INPUT ? [c, h, w] : lowered.get(name)!.shape);

  for (const node of model.layers) {
    if (!needed.has(node.name)) continue;
    const inputs = node.inputs.length === 0 ? [INPUT] : node.inputs;
    lowered.set(
      node.name,
      lowerForward({
        b,
        op: node.op,
        inputs: inputs.map(valueOf),
        inputShapes: inputs.map(shapeOf),
        shape: toNchwShape(node.outputShape as number[]),
        weights: () => layerWeights(node.layer),
        withGradients,
      }),
    );
  }

  const toNhwc = (value: string, rank: number) =>
    rank === 4 ? b.op('Transpose', [value], { perm: [0, 2, 3, 1] }) : value;
  const logitsValue = () => {
    const l = lowered.get(model.logits.layer)!;
    return model.logits.preActivation ? (l.pre ?? l.out) : l.out;
  };
  for (const name of request.outputs) {
    const node = byName.get(layerOf(name))!;
    b.output(
      `out:${name}`,
      toNhwc(name === LOGITS ? logitsValue() : lowered.get(name)!.out, rankOf(node)),
    );
  }
  if (withGradients) {
    lowerGradient(b, model, request, { byName, lowered, needed, valueOf, boundary });
  }
  return b.encode();
}

interface GradientState {
  byName: Map<string, LayerNode>;
  lowered: Map<string, LoweredLayer>;
  needed: Set<string>;
  valueOf: (name: string) => string;
  boundary?: GraphBoundary;
}

/** Adds seed inputs, the backward pass and the `gradient` output. */
function lowerGradient(
  b: OnnxGraphBuilder,
  model: LoweringModel,
  request: LoweringRequest,
  state: GradientState,
): void {
  const { byName, lowered, needed } = state;
  const origin = request.at ?? INPUT;
  // Layers the gradient flows through: downstream of the origin, upstream of a seed.
  const downstream = new Set<string>([origin]);
  for (const node of model.layers) {
    const inputs = node.inputs.length === 0 ? [INPUT] : node.inputs;
    if (needed.has(node.name) && inputs.some((i) => downstream.has(i))) downstream.add(node.name);
  }
  const contributions = new Map<string, string[]>();
  const preSeeds = new Map<string, string>();
  const add = (name: string, value: string) =>
    contributions.set(name, [...(contributions.get(name) ?? []), value]);
  for (const name of request.seeds) {
    const layer = name === LOGITS ? model.logits.layer : name;
    const node = byName.get(layer)!;
    const dims = node.outputShape as number[];
    let seed = b.input(`seed:${name}`, ['batch', ...dims]);
    if (dims.length === 3) seed = b.op('Transpose', [seed], { perm: [0, 3, 1, 2] });
    if (name === LOGITS && model.logits.preActivation) preSeeds.set(layer, seed);
    else add(layer, seed);
  }
  const masks = new Map<number, string>();
  const redirectInput = request.rule === 'redirected' ? b.input('redirect', ['batch']) : '';
  const redirect = (rank: number) => {
    if (!masks.has(rank)) {
      const shaped = b.op('Reshape', [
        redirectInput,
        b.ints([-1, ...new Array<number>(rank - 1).fill(1)]),
      ]);
      masks.set(rank, b.op('Greater', [shaped, b.scalar(0.5)]));
    }
    return masks.get(rank)!;
  };
  const sum = (values: string[]) => (values.length === 1 ? values[0] : b.op('Sum', values));

  for (const node of [...model.layers].reverse()) {
    if (node.name === origin) break;
    if (!downstream.has(node.name)) continue;
    const parts = contributions.get(node.name);
    const preSeed = preSeeds.get(node.name);
    if (!parts && !preSeed) continue;
    const layer = lowered.get(node.name)!;
    const ctx: BackwardContext = {
      b,
      op: node.op,
      layer,
      dy: parts ? sum(parts) : '',
      rule: request.rule,
      redirect,
    };
    let grads: string[];
    if (preSeed) {
      // The logits are read before the activation: the seed joins the gradient there.
      const op = node.op as Extract<LayerOp, { op: 'dense' | 'conv' }>;
      const dz = parts
        ? activationBackward(ctx, op.activation, layer.pre!, layer.out, ctx.dy, rankOf(node))
        : null;
      const total = dz ? b.op('Add', [dz, preSeed]) : preSeed;
      grads = lowerBackward({ ...ctx, op: { ...op, activation: { kind: 'linear' } }, dy: total });
    } else {
      grads = lowerBackward(ctx);
    }
    const inputs = node.inputs.length === 0 ? [INPUT] : node.inputs;
    inputs.forEach((name, i) => {
      if (downstream.has(name)) add(name, grads[i]);
    });
  }
  const parts = contributions.get(origin);
  const originShape = origin === INPUT ? 4 : rankOf(byName.get(origin)!);
  const gradient = parts
    ? sum(parts)
    : b.op('Mul', [origin === INPUT ? state.valueOf(INPUT) : state.valueOf(origin), b.scalar(0)]);
  if (origin === INPUT && state.boundary) state.boundary.gradient(b, gradient);
  else {
    b.output(
      'gradient',
      originShape === 4 ? b.op('Transpose', [gradient], { perm: [0, 2, 3, 1] }) : gradient,
    );
  }
}
