/** What every view gets from the shell: the worker, the model, the state and its setter. */
import type { SampleEntry } from '../../../src/core/server-api.js';
import type { ComputeClient } from '../bridge/client.js';
import type { BackendInfo, ModelInfo } from '../bridge/protocol.js';
import { h } from '../draw/dom.js';
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

/**
 * A layer menu entry: name, output shape and receptive field, short enough for the controls
 * column (the kind, e.g. Conv2D, goes into the option's title).
 * @example layerOption(layer, true) // <option title="block2_conv2 (Conv2D)">block2_conv2 · 14×14×32 · RF 10px</option>
 */
export function layerOption(layer: ModelInfo['layers'][number], selected: boolean) {
  const shape = layer.shape.map((d) => d ?? '?').join('×');
  const field = layer.receptiveField ? ` · RF ${layer.receptiveField}px` : '';
  const note = layer.note ? ` · ${layer.note}` : '';
  return h(
    'option',
    { value: layer.name, selected, title: `${layer.name} (${layer.kind})${note}` },
    `${layer.name} · ${shape}${field}${note}`,
  );
}
