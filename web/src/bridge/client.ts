/**
 * The page's side of the bridge: `call` sends a request to the compute worker and resolves
 * with its result (or rejects with a `WorkerError` carrying the hint); `maximize` also
 * streams frames and can pause, resume and stop the job.
 */
import type { CallName, Calls, FromWorker, MaximizeFrame, ToWorker } from './protocol.js';

export class WorkerError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onFrame?(frame: MaximizeFrame): void;
}

export interface RunningJob {
  done: Promise<Calls['maximize']['result']>;
  pause(): void;
  resume(): void;
  stop(): void;
}

export class ComputeClient {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => {
      const error = new WorkerError(
        `the compute worker failed: ${event.message}`,
        'reload the page',
      );
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  private receive(message: FromWorker): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.kind === 'frame') pending.onFrame?.(message.frame);
    else {
      this.pending.delete(message.id);
      if (message.kind === 'result') pending.resolve(message.value);
      else pending.reject(new WorkerError(message.message, message.hint));
    }
  }

  private send<K extends CallName>(
    call: K,
    request: Calls[K]['request'],
    onFrame?: (frame: MaximizeFrame) => void,
  ): { id: number; done: Promise<Calls[K]['result']> } {
    const id = this.next++;
    const done = new Promise<Calls[K]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onFrame });
    });
    this.worker.postMessage({ id, call, request } as ToWorker);
    return { id, done };
  }

  call<K extends CallName>(call: K, request: Calls[K]['request']): Promise<Calls[K]['result']> {
    return this.send(call, request).done;
  }

  maximize(
    request: Calls['maximize']['request'],
    onFrame: (frame: MaximizeFrame) => void,
  ): RunningJob {
    const { id, done } = this.send('maximize', request, onFrame);
    const control = (control: 'pause' | 'resume' | 'stop') =>
      this.worker.postMessage({ id, control } as ToWorker);
    return {
      done,
      pause: () => control('pause'),
      resume: () => control('resume'),
      stop: () => control('stop'),
    };
  }
}
