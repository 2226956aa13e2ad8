/**
 * Engine selection in Node (`--engine auto|tfjs|onnx`): `onnx` runs the network on ONNX
 * Runtime (native, multi-threaded) and refuses with a clear error when the model does not lower
 * or onnxruntime-node is missing; `tfjs` interprets it with TF.js on the active backend; `auto`
 * (the default) takes ONNX Runtime when it can and otherwise falls back to TF.js with a
 * one-line note that says why, so no work is lost.
 */
import type { FusedStepRequest, FusedStepResult } from '../core/engines/fused-step.js';
import os from 'node:os';
import type {
  ArrayBatch,
  NetworkEngine,
  VjpRequest,
  VjpResult,
} from '../core/engines/network-engine.js';
import { TfjsEngine } from '../core/engines/tfjs-engine.js';
import { ConvscopeError } from '../core/errors.js';
import type { VisModel } from '../core/models/vis-model.js';
import { OnnxLoweringError } from './onnx/lower-graph.js';
import { OnnxEngine, OnnxSessionError } from './onnx/onnx-engine.js';

export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface EngineOptions {
  /** ONNX Runtime's intra-op threads (default: every core). */
  threads?: number;
  /** Where the fallback note goes (default: stderr). */
  note?: (message: string) => void;
}

/** The machine's cores (what ONNX Runtime uses by default). */
export const machineCores = (): number => os.availableParallelism?.() ?? os.cpus().length;

export function checkEngineChoice(choice: string): EngineChoice {
  if (!(ENGINE_CHOICES as readonly string[]).includes(choice)) {
    throw new ConvscopeError(
      `unknown engine '${choice}'`,
      `use one of: ${ENGINE_CHOICES.join(', ')}`,
    );
  }
  return choice as EngineChoice;
}

/** Parses `--threads`: a positive integer (default: every core). */
export function parseThreads(text: string | undefined): number {
  if (text === undefined) return machineCores();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new ConvscopeError(`--threads must be a positive integer, not '${text}'`);
  }
  return n;
}

/**
 * `auto` on ONNX Runtime: if ONNX Runtime cannot build a session for some request (an op its
 * build lacks, say), this engine says so once and answers that call and every later one on
 * TF.js. Engine calls hold no state (the optimization's state lives in TF.js variables), so a
 * run that falls back mid-way loses no work.
 */
export class AutoEngine implements NetworkEngine {
  private current: NetworkEngine;

  constructor(
    private readonly onnx: OnnxEngine,
    private readonly model: VisModel,
    private readonly note: (message: string) => void,
  ) {
    this.current = onnx;
  }

  get name() {
    return this.current.name;
  }

  get description() {
    return this.current.description;
  }

  /** ONNX Runtime's threads (1 once on TF.js). */
  get threads(): number {
    return this.current === this.onnx ? this.onnx.threads : 1;
  }

  activations(input: ArrayBatch, layers: string[]): Promise<Record<string, ArrayBatch>> {
    return this.guard(() => this.current.activations(input, layers));
  }

  vjp(request: VjpRequest): Promise<VjpResult> {
    return this.guard(() => this.current.vjp(request));
  }

  /** The fused step while on ONNX Runtime; null once on TF.js (the caller takes the plain path). */
  fusedStep(request: FusedStepRequest): Promise<FusedStepResult | null> {
    return this.guard(() =>
      this.current === this.onnx ? this.onnx.fusedStep(request) : Promise.resolve(null),
    );
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const fallible = error instanceof OnnxSessionError || error instanceof OnnxLoweringError;
      if (this.current !== this.onnx || !fallible) throw error;
      this.note(`note: continuing on TF.js: ${error.message}`);
      this.onnx.dispose();
      this.current = new TfjsEngine(this.model);
      return call();
    }
  }

  dispose(): void {
    this.current.dispose();
  }
}

/** ONNX Runtime's intra-op threads of an engine (1 for TF.js). */
export function engineThreads(engine: NetworkEngine): number {
  return engine instanceof OnnxEngine || engine instanceof AutoEngine ? engine.threads : 1;
}

/**
 * An engine of the same kind as `engine` for another model (e.g. the model resized to the
 * run's image size); TF.js stays TF.js.
 */
export async function sameEngineFor(
  model: VisModel,
  engine: NetworkEngine,
): Promise<NetworkEngine> {
  if (engine.name === 'tfjs') return new TfjsEngine(model);
  const threads = engineThreads(engine);
  return engine instanceof AutoEngine
    ? createEngine(model, 'auto', { threads })
    : OnnxEngine.create(model, { threads });
}

/** The engine for `model` under a choice (see the module comment). */
export async function createEngine(
  model: VisModel,
  choice: string = 'auto',
  options: EngineOptions = {},
): Promise<NetworkEngine> {
  const engine = checkEngineChoice(choice);
  if (engine === 'tfjs') return new TfjsEngine(model);
  const threads = options.threads ?? machineCores();
  if (engine === 'onnx') return OnnxEngine.create(model, { threads });
  const note = options.note ?? ((m: string) => process.stderr.write(`${m}\n`));
  try {
    return new AutoEngine(await OnnxEngine.create(model, { threads }), model, note);
  } catch (error) {
    if (!(error instanceof ConvscopeError)) throw error;
    note(`note: running on TF.js: ${error.message}`);
    return new TfjsEngine(model);
  }
}
