/**
 * Top-k dataset patches computed in the page, for a small folder of images the user drops in
 * (Zeiler & Fergus): every image through the model once per layer, each channel keeps its k
 * strongest (image, location) with core's TopKTracker (the CLI's scan uses the same), and a
 * channel's patches are the receptive-field crops of those locations. The last scan is kept so
 * clicking through channels does not rescan.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../../../src/core/errors.js';
import { cropRgba, rgbaFromFloats } from '../../../src/core/image/rgba.js';
import { TopKTracker } from '../../../src/core/methods/top-k.js';
import { channelIndex } from '../../../src/core/methods/index-spec.js';
import { unclampedBox } from '../../../src/core/models/receptive-field.js';
import type { VisModel } from '../../../src/core/models/vis-model.js';
import type { PatchesRequest, PatchesResult } from '../bridge/protocol.js';
import { toInput } from './images.js';

const BATCH = 16;

interface Scan {
  model: VisModel;
  layer: string;
  inputs: Float32Array[];
  tracker: TopKTracker;
}

let last: Scan | null = null;

async function scan(model: VisModel, request: PatchesRequest): Promise<Scan> {
  const node = model.layer(request.layer);
  if (!node.spatial || !node.channels || !node.receptiveField) {
    throw new ConvscopeError(
      `layer '${request.layer}' (${node.kind}) has no spatial map to take patches from`,
      'choose a convolution or pooling layer',
    );
  }
  const { height, width, channels } = model.input;
  // Read back asynchronously: WebGPU's synchronous read goes through a canvas and returned
  // zeros (or stalled) on SwiftShader in the GPU workbench test.
  const inputs: Float32Array[] = [];
  for (const image of request.images!) {
    const input = toInput(image, height, width, channels);
    inputs.push((await input.data()) as Float32Array);
    input.dispose();
  }
  const tracker = new TopKTracker(node.channels, request.k);
  for (let start = 0; start < inputs.length; start += BATCH) {
    const chunk = inputs.slice(start, start + BATCH);
    const pixels = new Float32Array(chunk.length * height * width * channels);
    chunk.forEach((c, i) => pixels.set(c, i * c.length));
    const map = tf.tidy(() => {
      const batch = tf.tensor4d(pixels, [chunk.length, height, width, channels]);
      return model.activations(batch, [request.layer], { inference: true })[request.layer];
    });
    const [, h, w, c] = map.shape as number[];
    const values = await map.data();
    map.dispose();
    chunk.forEach((_, i) =>
      tracker.addImage(start + i, values.subarray(i * h * w * c, (i + 1) * h * w * c), h, w),
    );
  }
  return { model, layer: request.layer, inputs, tracker };
}

/** The channel's top-k patches, scanning `request.images` (or reusing the last scan). */
export async function patches(model: VisModel, request: PatchesRequest): Promise<PatchesResult> {
  if (request.images) last = await scan(model, request);
  else if (!last || last.model !== model || last.layer !== request.layer) {
    throw new ConvscopeError('no scan of this layer yet', 'drop a folder of images first');
  }
  const { tracker, inputs } = last;
  channelIndex({ name: request.layer, channels: tracker.channels }, request.channel);
  const field = model.layer(request.layer).receptiveField!;
  const { height, width, channels } = model.input;
  return {
    images: inputs.length,
    top: tracker.lists[request.channel].map((entry) => ({
      image: entry.image,
      activation: entry.value,
      patch: cropRgba(
        rgbaFromFloats(inputs[entry.image], width, height, channels),
        unclampedBox(field, entry.y, entry.x),
        [128, 128, 128],
      ),
    })),
  };
}
