/**
 * The compute worker: owns the TF.js backend and the open model, answers the page's calls
 * (see bridge/protocol.ts) and streams activation-maximization frames. All heavy work runs
 * here so the page never freezes. Errors go back as messages with core's hint, never thrown
 * into the void.
 */
import { ConvscopeError } from '../../../src/core/errors.js';
import type { VisModel } from '../../../src/core/models/vis-model.js';
import type { Calls, CallName, FromWorker, Rgba, ToWorker } from '../bridge/protocol.js';
import { selectBackend } from './backend.js';
import { buffersOf } from './images.js';
import { attributionMethods, attributions, maps, modelInfo, weights } from './inspect.js';
import { openModel } from './load-model.js';
import { MaximizeJob } from './maximize-job.js';
import { patches } from './patch-scan.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let model: VisModel | null = null;
const jobs = new Map<number, MaximizeJob>();
/** The newest model load: a newer one aborts its downloads, and it never replaces the model. */
let latestLoad: { id: number; abort: AbortController } | null = null;

function needModel(): VisModel {
  if (!model) throw new ConvscopeError('no model is loaded', 'pick a model first');
  return model;
}

/** Every RGBA buffer inside a result, so it is transferred rather than copied. */
function transfers(value: unknown, found: Rgba[] = [], depth = 0): Rgba[] {
  if (value === null || typeof value !== 'object' || depth > 4) return found;
  if ((value as Rgba).data instanceof Uint8ClampedArray) found.push(value as Rgba);
  else for (const v of Object.values(value)) transfers(v, found, depth + 1);
  return found;
}

type Handler<K extends CallName> = (
  request: Calls[K]['request'],
  id: number,
) => Promise<Calls[K]['result']>;

const handlers: { [K in CallName]: Handler<K> } = {
  init: (request) => selectBackend(request.backend, request.threads),
  loadModel: async (request, id) => {
    latestLoad?.abort.abort();
    const load = { id, abort: new AbortController() };
    latestLoad = load;
    const superseded = () =>
      new ConvscopeError(
        'superseded by a newer model choice',
        'nothing to do: the page ignores it',
      );
    let next: VisModel;
    try {
      next = await openModel(request.source, load.abort.signal);
    } catch (error) {
      throw load.abort.signal.aborted ? superseded() : error;
    }
    if (latestLoad !== load) {
      next.dispose();
      throw superseded();
    }
    model?.dispose();
    model = next;
    return modelInfo(next);
  },
  maximize: async (request, id) => {
    const job = new MaximizeJob();
    jobs.set(id, job);
    try {
      return await job.run(needModel(), request, (frame) =>
        scope.postMessage({ id, kind: 'frame', frame }, buffersOf(frame.images)),
      );
    } finally {
      jobs.delete(id);
    }
  },
  maps: (request) => maps(needModel(), request),
  weights: (request) => weights(needModel(), request.layer),
  attributionMethods: async () => attributionMethods(),
  attribute: (request) => attributions(needModel(), request),
  patches: (request) => patches(needModel(), request),
};

scope.onmessage = async (event) => {
  const message = event.data;
  if ('control' in message) {
    const job = jobs.get(message.id);
    if (message.control === 'pause') job?.pause();
    else if (message.control === 'resume') job?.resume();
    else job?.stop();
    return;
  }
  try {
    const handler = handlers[message.call] as Handler<CallName>;
    const value = await handler(message.request, message.id);
    scope.postMessage({ id: message.id, kind: 'result', value }, buffersOf(transfers(value)));
  } catch (error) {
    const hint = error instanceof ConvscopeError ? error.hint : undefined;
    const text = error instanceof Error ? error.message : String(error);
    scope.postMessage({ id: message.id, kind: 'error', message: text, hint });
  }
};
