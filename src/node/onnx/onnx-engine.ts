/**
 * The ONNX Runtime engine: convscope's layer graph lowered to one ONNX graph per request
 * (forward only, or forward + backward for a rule and a set of seeded layers), run natively
 * and multi-threaded by onnxruntime-node. Sessions are built on first use and cached per
 * request shape (the batch is a free dimension). onnxruntime-node is an optional dependency:
 * `loadOnnxRuntime` says why it is missing instead of throwing.
 */
import type * as OrtModule from 'onnxruntime-node';
import { ConvscopeError } from '../../core/errors.js';
import {
  type ArrayBatch,
  type NetworkEngine,
  type VjpRequest,
  type VjpResult,
} from '../../core/engines/network-engine.js';
import type { VisModel } from '../../core/models/vis-model.js';
import type { FusedStepRequest, FusedStepResult } from '../../core/engines/fused-step.js';
import { fusedFeeds, lowerFusedStep, type IntBatch } from './fused-step-graph.js';
import type { ImageSideShape } from './lower-image-side.js';
import { cropMap } from '../../core/transforms/sparse-map.js';
import {
  firstUnsupported,
  lowerToOnnx,
  type LoweringModel,
  type LoweringRequest,
} from './lower-graph.js';

type Ort = typeof OrtModule;

/** Views are padded to this many maps (Lucid's standard transforms fold into at most 3). */
const FUSED_VIEW_MAPS = 3;
type Session = OrtModule.InferenceSession;

let ortModule: Promise<Ort | string> | undefined;

/**
 * onnxruntime-node, or the reason it cannot be loaded on this machine.
 * `CONVSCOPE_ONNXRUNTIME_MODULE` names another module to load instead (tests use a missing one
 * to check the fallback).
 */
export function loadOnnxRuntime(): Promise<Ort | string> {
  const name = process.env.CONVSCOPE_ONNXRUNTIME_MODULE ?? 'onnxruntime-node';
  ortModule ??= (import(name) as Promise<Ort>).then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    (error: unknown) =>
      `${name} cannot be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
  );
  return ortModule;
}

/** ONNX Runtime could not build a session for a graph (auto engine selection falls back). */
export class OnnxSessionError extends ConvscopeError {}

export interface OnnxEngineOptions {
  /** Intra-op threads (default: the machine's cores). */
  threads: number;
}

/** The engine-neutral part of a model the lowering reads. */
export function loweringModel(model: VisModel): LoweringModel {
  const { height, width, channels } = model.input;
  return { layers: model.layers, logits: model.logitsSource, input: [height, width, channels] };
}

export class OnnxEngine implements NetworkEngine {
  readonly name = 'onnx' as const;
  readonly description: string;
  private readonly sessions = new Map<string, Promise<Session>>();

  private constructor(
    private readonly ort: Ort,
    private readonly graph: LoweringModel,
    /** ONNX Runtime's intra-op threads. */
    readonly threads: number,
  ) {
    const version = ort.env.versions?.node;
    this.description = `onnxruntime-node${version ? ` ${version}` : ''}, ${threads} thread${threads === 1 ? '' : 's'}`;
  }

  /**
   * An engine for `model`. Throws a ConvscopeError when onnxruntime-node is missing or a layer
   * cannot be lowered (the message names it).
   */
  static async create(model: VisModel, options: OnnxEngineOptions): Promise<OnnxEngine> {
    const ort = await loadOnnxRuntime();
    if (typeof ort === 'string') throw new ConvscopeError(ort, 'use --engine tfjs');
    const graph = loweringModel(model);
    const unsupported = firstUnsupported(
      graph,
      model.layers.map((l) => l.name),
    );
    if (unsupported) {
      throw new ConvscopeError(
        `the ONNX engine cannot run layer '${unsupported.layer}' (${unsupported.reason})`,
        'use --engine tfjs (auto falls back to it)',
      );
    }
    return new OnnxEngine(ort, graph, Math.max(1, Math.round(options.threads)));
  }

  /** The session for a graph, built on first use (`lower` makes its bytes). */
  private session(key: string, lower: () => Uint8Array): Promise<Session> {
    let session = this.sessions.get(key);
    if (!session) {
      session = (async () => {
        const bytes = lower();
        try {
          return await this.ort.InferenceSession.create(bytes, {
            intraOpNumThreads: this.threads,
            interOpNumThreads: 1,
            executionMode: 'sequential',
            graphOptimizationLevel: 'all',
            logSeverityLevel: 3,
          });
        } catch (error) {
          throw new OnnxSessionError(
            `ONNX Runtime could not build the session (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
            'use --engine tfjs',
            { cause: error },
          );
        }
      })();
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  private tensor(batch: ArrayBatch | IntBatch) {
    return batch.data instanceof Int32Array
      ? new this.ort.Tensor('int32', batch.data, batch.shape)
      : new this.ort.Tensor('float32', batch.data, batch.shape);
  }

  private async run(
    request: LoweringRequest,
    feeds: Record<string, ArrayBatch | IntBatch>,
    fused?: ImageSideShape,
  ) {
    const key = JSON.stringify({ request, fused });
    const session = await this.session(key, () =>
      fused ? lowerFusedStep(this.graph, request, fused) : lowerToOnnx(this.graph, request),
    );
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, this.tensor(v)]));
    const results = await session.run(inputs);
    const read = (name: string): ArrayBatch => {
      const t = results[name];
      return { data: t.data as Float32Array, shape: t.dims.map(Number) };
    };
    return read;
  }

  async activations(input: ArrayBatch, layers: string[]): Promise<Record<string, ArrayBatch>> {
    const request: LoweringRequest = { outputs: [...layers], seeds: [], rule: 'gradient' };
    const read = await this.run(request, { input });
    return Object.fromEntries(layers.map((l) => [l, read(`out:${l}`)]));
  }

  async vjp(request: VjpRequest): Promise<VjpResult> {
    const seeds = Object.keys(request.seeds).sort();
    const lowering: LoweringRequest = {
      outputs: [...(request.outputs ?? [])],
      seeds,
      rule: request.rule,
      ...(request.at ? { at: request.at } : {}),
    };
    const feeds: Record<string, ArrayBatch> = { input: request.input };
    for (const name of seeds) feeds[`seed:${name}`] = request.seeds[name];
    if (request.rule === 'redirected') {
      feeds.redirect = redirectFeed(request.input.shape[0], request.redirect);
    }
    const read = await this.run(lowering, feeds);
    const gradient = read('gradient');
    if (!Number.isFinite(sum(gradient.data))) throw await this.nonFinite(request.input);
    return {
      gradient,
      outputs: Object.fromEntries((request.outputs ?? []).map((l) => [l, read(`out:${l}`)])),
    };
  }

  /** A whole step of Lucid's pipeline in one call (see `FusedStepRequest`). */
  async fusedStep(request: FusedStepRequest): Promise<FusedStepResult> {
    const seeds = Object.keys(request.seeds).sort();
    const lowering: LoweringRequest = { outputs: [...request.outputs], seeds, rule: request.rule };
    const { image } = request;
    const [height, width] = [this.graph.input[0], this.graph.input[1]];
    // One graph per number of maps: padding every view to the same count with identity maps
    // (a one-tap copy, ~1 ms) keeps one session per run instead of one per count.
    const view = [...request.view];
    while (view.length < FUSED_VIEW_MAPS) view.push(cropMap(height, width, 0, 0, height, width));
    const shape: ImageSideShape = {
      height: image.height,
      width: image.width,
      channels: image.channels,
      maps: view.length,
      input: [height, width],
    };
    const feeds: Record<string, ArrayBatch | IntBatch> = fusedFeeds({ ...request, view });
    for (const name of seeds) feeds[`seed:${name}`] = request.seeds[name];
    if (request.rule === 'redirected') {
      feeds.redirect = redirectFeed(image.batch, request.redirect);
    }
    const read = await this.run(lowering, feeds, shape);
    const real = read('grad:real');
    const imaginary = read('grad:imaginary');
    if (!Number.isFinite(sum(real.data) + sum(imaginary.data))) {
      throw new ConvscopeError(
        'the gradient is not finite (NaN or infinity) in a fused step',
        'check the model weights, or lower the learning rate (--lr)',
      );
    }
    return {
      real,
      imaginary,
      outputs: Object.fromEntries(request.outputs.map((l) => [l, read(`out:${l}`)])),
    };
  }

  /** The error for a gradient that is not finite, naming the first layer whose output is not. */
  private async nonFinite(input: ArrayBatch): Promise<ConvscopeError> {
    const hint = 'check the model weights and the input image, or lower the learning rate';
    if (!Number.isFinite(sum(input.data))) {
      return new ConvscopeError(
        'the gradient is not finite: the input itself holds NaN or infinity',
        hint,
      );
    }
    const names = this.graph.layers.slice(1).map((l) => l.name);
    const outputs = await this.activations(input, names);
    const layer = names.find((n) => !Number.isFinite(sum(outputs[n].data)));
    return new ConvscopeError(
      layer
        ? `the gradient is not finite: layer '${layer}' is the first whose output holds NaN or infinity`
        : 'the gradient is not finite (NaN or infinity) in the backward pass, though every layer output is finite',
      hint,
    );
  }

  dispose(): void {
    for (const session of this.sessions.values())
      session.then((s) => s.release()).catch(() => undefined);
    this.sessions.clear();
  }
}

function redirectFeed(batch: number, redirect?: boolean[]): ArrayBatch {
  const flags = redirect ?? new Array<boolean>(batch).fill(true);
  return { data: Float32Array.from(flags, Number), shape: [batch] };
}

function sum(values: Float32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}
