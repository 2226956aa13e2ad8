/**
 * Engine selection in Node (`--engine auto|tfjs|onnx`): `onnx` runs the network on ONNX
 * Runtime (native, multi-threaded) and refuses with a clear error when the model does not lower
 * or onnxruntime-node is missing; `tfjs` interprets it with TF.js on the active backend; `auto`
 * (the default) takes ONNX Runtime when it can and otherwise falls back to TF.js with a
 * one-line note that says why, so no work is lost.
 */
import os from 'node:os';
import type { NetworkEngine } from '../core/engines/network-engine.js';
import { TfjsEngine } from '../core/engines/tfjs-engine.js';
import { ConvscopeError } from '../core/errors.js';
import type { VisModel } from '../core/models/vis-model.js';
import { OnnxEngine } from './onnx/onnx-engine.js';

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
 * An engine of the same kind as `engine` for another model (e.g. the model resized to the
 * run's image size); TF.js stays TF.js.
 */
export async function sameEngineFor(
  model: VisModel,
  engine: NetworkEngine,
): Promise<NetworkEngine> {
  if (engine instanceof OnnxEngine) return OnnxEngine.create(model, { threads: engine.threads });
  return new TfjsEngine(model);
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
  try {
    return await OnnxEngine.create(model, { threads });
  } catch (error) {
    if (!(error instanceof ConvscopeError)) throw error;
    (options.note ?? ((m: string) => process.stderr.write(`${m}\n`)))(
      `note: running on TF.js: ${error.message}`,
    );
    return new TfjsEngine(model);
  }
}
