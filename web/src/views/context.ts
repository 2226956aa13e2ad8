/** What every view gets from the shell: the worker, the model, the state and its setter. */
import type { SampleEntry } from '../../../src/core/server-api.js';
import type { ComputeClient } from '../bridge/client.js';
import type { BackendInfo, ModelInfo } from '../bridge/protocol.js';
import type { AppState } from '../state.js';

export type Sample = SampleEntry;

export interface ViewContext {
  client: ComputeClient;
  model: ModelInfo;
  backend: BackendInfo;
  state: AppState;
  /** Merges into the state and writes it to the URL (no re-render). */
  update(partial: Partial<AppState>): void;
  showError(error: unknown): void;
  samples(): Promise<Sample[]>;
}

export interface ViewHandle {
  dispose(): void;
}

/** Layers a view can show, labelled with output shape and receptive field. */
export function layerLabel(layer: ModelInfo['layers'][number]): string {
  const shape = layer.shape.map((d) => d ?? '?').join('×');
  const field = layer.receptiveField ? ` · RF ${layer.receptiveField}px` : '';
  return `${layer.name} (${layer.kind}) ${shape}${field}`;
}
