/**
 * What `maximize` takes besides its parts (options) and what it yields (frames, the result).
 * Plain data apart from the optional starting image and engine, so a worker can send frames
 * and results as they are.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NetworkEngine } from '../engines/network-engine.js';

/** The part of an AbortSignal the loop reads (core has no DOM or Node types). */
export interface StopSignal {
  readonly aborted: boolean;
}

export interface MaximizeOptions {
  seed?: number;
  signal?: StopSignal;
  /**
   * Awaited after every step, so timers, I/O and abort handlers of the host get a turn
   * (Node: setImmediate; browsers: a message channel). Default: a microtask only.
   */
  yieldControl?: () => Promise<void>;
  /** Yield a frame every this many steps (and after the last). Default: steps / 32. */
  frameEvery?: number;
  /**
   * Measure each image's best iterate every this many steps (and after the last). Default:
   * steps / 32. Independent of `frameEvery` and `history`, so a live view that wants more
   * frames gets the same best image as the CLI.
   */
  bestEvery?: number;
  /** Keep the images of every k-th step in the result's history (0: none). */
  history?: number;
  /** Start from these images, [1 or N, h, w, c] in [0, 1] (Fourier, MACO: fitted, fit-image.ts). */
  init?: tf.Tensor4D;
  /**
   * The engine that runs the network (e.g. ONNX Runtime in Node). Absent or TF.js: the whole
   * step is one TF.js tape, as fast as TF.js goes.
   */
  engine?: NetworkEngine;
  /**
   * Run each step in one engine call when the engine can (`FusedStepEngine`: the image side
   * too, for a Fourier image, linear objectives and no penalties). Default true; false keeps
   * the image side in TF.js (for comparisons).
   */
  fuse?: boolean;
}

export interface ImageBatch {
  /** [batch, height, width, channels] values in [0, 1], row-major. */
  data: Float32Array;
  shape: [number, number, number, number];
}

export interface HistoryFrame {
  step: number;
  images: ImageBatch;
  /** Objective per image, measured without transforms. */
  scores: number[];
}

export interface MaximizeResult {
  /** The best iterate of each image. */
  best: ImageBatch;
  initial: number[];
  final: number[];
  bestScores: number[];
  bestSteps: number[];
  history: HistoryFrame[];
  steps: number;
  aborted: boolean;
  seconds: number;
  /** Each best image's objective through the transforms (`throughViews`). */
  transformedScores?: number[];
  /** MACO's transparency map per image, [batch, h, w, 1] in [0, 1] (see `alphaMap`). */
  alpha?: ImageBatch;
}

export interface Frame {
  step: number;
  steps: number;
  /** The current images. */
  images: ImageBatch;
  /** Objective per image on the current images, without transforms. */
  scores: number[];
  /** Present on the last frame. */
  result?: MaximizeResult;
}

export async function toBatch(images: tf.Tensor4D): Promise<ImageBatch> {
  return { data: (await images.data()) as Float32Array, shape: images.shape };
}
