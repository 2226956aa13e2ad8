/**
 * The typed message bridge between the page and the compute worker. Every request carries an
 * id; the worker answers with exactly one `result` or `error` for it, and long jobs
 * (activation maximization) stream `frame` messages tagged with the same id before their
 * result. Images cross the bridge as 8-bit RGBA (`ImageData`'s layout), their buffers
 * transferred, never copied.
 */
import type { ImageStats } from '../../../src/core/evaluation/image-stats.js';
import type { ObjectiveSpec } from '../../../src/core/objectives/objective-spec.js';
import type { AttributionMethod } from '../../../src/core/methods/attribution.js';
import type { MethodOption } from '../../../src/core/methods/attribution/method-record.js';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** 8-bit RGBA pixels, row-major (the layout of ImageData). */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export type ModelSource =
  | {
      kind: 'url';
      name: string;
      url: string;
      labelsUrl?: string;
      meanUrl?: string;
      /** Overrides the preprocessing recorded in model.json (zoo entries carry it). */
      preprocess?: string;
    }
  | { kind: 'files'; name: string; files: File[] };

export interface LayerInfo {
  name: string;
  kind: string;
  /** Output shape without the batch axis. */
  shape: (number | null)[];
  channels: number | null;
  spatial: boolean;
  /** Receptive-field size in input pixels (vertical), when defined. */
  receptiveField: number | null;
  /** True for layers with a kernel (weights view). */
  hasKernel: boolean;
  /** What a reader should know (e.g. a batch norm the exporter folded in), as `layers` prints. */
  note?: string;
}

export interface ModelInfo {
  name: string;
  input: { height: number; width: number; channels: number };
  layers: LayerInfo[];
  labels?: string[];
  /** Output units of the classifier (absent without one). */
  classes?: number;
  acceptsAnySize: boolean;
  /** The layer views start on (the last conv of the middle block). */
  defaultLayer: string;
  parameters: number;
}

export interface BackendInfo {
  backend: BackendName;
  /** Threads of the WASM backend (1 without cross-origin isolation). */
  threads: number;
  /** Why faster backends were skipped. */
  notes: string[];
  /** `auto`'s start-up probe: ms per step on each backend that started, fastest first. */
  measured?: { backend: BackendName; ms: number }[];
}

export interface MaximizeRequest {
  objectives: ObjectiveSpec[];
  preset: string;
  overrides: Record<string, string | number>;
  seed: number;
  /** A frame every this many steps. */
  frameEvery: number;
}

export interface MaximizeFrame {
  step: number;
  steps: number;
  images: Rgba[];
  scores: number[];
  /** Steps per second since the start. */
  rate: number;
}

export interface MaximizeDone {
  steps: number;
  aborted: boolean;
  seconds: number;
  best: Rgba[];
  bestScores: number[];
  bestSteps: number[];
  initial: number[];
  final: number[];
  /** The resolved settings, for the manifest. */
  settings: unknown;
  effectiveLearningRate: number;
  size: number;
  /**
   * With diversity, each best image's own objective without the diversity term (the unit's
   * activation, as the CLI's captions and manifest report it); bestScores include the term.
   */
  unitScores?: number[];
  /** What a person sees in each best image (core image-stats.ts), as the CLI's manifest has it. */
  stats: ImageStats[];
  /** Each best image's objective through the run's transforms (8 seeded views), when measured. */
  transformedScores?: number[];
}

export interface MapsRequest {
  image: Rgba;
  layer: string;
  colormap: 'viridis' | 'gray';
}

export interface MapsResult {
  layer: string;
  tiles: Rgba[];
  means: number[];
  top: { index: number; label: string; probability: number }[];
  /** The image as the model saw it (square crop, model size). */
  input: Rgba;
  ms: number;
}

export interface WeightsResult {
  layer: string;
  kernelShape: [number, number, number, number];
  mode: string;
  /** One per kernel (filter; the channel it makes) and input slice. */
  tiles: { filter: number; inputChannel?: number; image: Rgba }[];
}

/** An attribution method's record without its code (core attribution/registry.ts). */
export interface AttributionMethodInfo {
  name: AttributionMethod;
  title: string;
  paper: string;
  /** Cheap enough to recompute on every click. */
  interactive: boolean;
  options: MethodOption[];
}

export interface AttributeRequest {
  image: Rgba;
  methods: AttributionMethod[];
  target: { kind: 'unit'; layer: string; channel: number } | { kind: 'class'; index: number };
  /** The methods' options by key (as typed; core checks them), e.g. `{ steps: '20' }`. */
  options?: Record<string, string>;
}

export interface AttributeResult {
  input: Rgba;
  images: {
    method: AttributionMethod;
    /** What the values are (the record's quantity). */
    quantity: string;
    image: Rgba;
    min: number;
    max: number;
  }[];
}

export interface PatchesRequest {
  /** Images to scan (absent: reuse the last scan of this layer). */
  images?: Rgba[];
  layer: string;
  /** The channel of `layer` whose top patches are wanted. */
  channel: number;
  k: number;
}

export interface PatchesResult {
  /** Images scanned. */
  images: number;
  top: { image: number; activation: number; patch: Rgba }[];
}

/** Request kinds and their results. */
export interface Calls {
  init: { request: { backend?: BackendName; threads?: number }; result: BackendInfo };
  loadModel: { request: { source: ModelSource }; result: ModelInfo };
  maximize: { request: MaximizeRequest; result: MaximizeDone };
  maps: { request: MapsRequest; result: MapsResult };
  weights: { request: { layer: string }; result: WeightsResult };
  attributionMethods: { request: Record<string, never>; result: AttributionMethodInfo[] };
  attribute: { request: AttributeRequest; result: AttributeResult };
  patches: { request: PatchesRequest; result: PatchesResult };
}
export type CallName = keyof Calls;

/** Page -> worker. `control` pauses, resumes or stops a running maximize job. */
export type ToWorker =
  | { [K in CallName]: { id: number; call: K; request: Calls[K]['request'] } }[CallName]
  | { id: number; control: 'pause' | 'resume' | 'stop' };

/** Worker -> page. */
export type FromWorker =
  | { id: number; kind: 'result'; value: unknown }
  | { id: number; kind: 'error'; message: string; hint?: string }
  | { id: number; kind: 'frame'; frame: MaximizeFrame };
