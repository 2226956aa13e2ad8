/**
 * Objectives as data: the serializable form of the objectives the CLI and the web form
 * create (a filter's channel or center neuron, a class logit), so they can be sent to worker
 * threads or a Web Worker and rebuilt there.
 */
import { channel, classLogit, neuron, type Objective } from './objective.js';

export type ObjectiveSpec =
  | { kind: 'channel'; layer: string; index: number }
  | { kind: 'neuron'; layer: string; index: number; y?: number; x?: number }
  | { kind: 'class'; index: number; label?: string };

/**
 * @example objectiveFromSpec({ kind: 'channel', layer: 'block3_conv1', index: 5 })
 */
export function objectiveFromSpec(spec: ObjectiveSpec): Objective {
  switch (spec.kind) {
    case 'channel':
      return channel(spec.layer, spec.index);
    case 'neuron':
      return neuron(spec.layer, spec.index, spec.y, spec.x);
    case 'class':
      return classLogit(spec.index, spec.label);
  }
}
