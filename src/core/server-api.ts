/**
 * The JSON the workbench server (`convscope serve`) answers and the web app reads: one
 * definition for both sides, so neither can drift. Types only.
 */

/** `GET /api/models`: one entry per model the page can open. */
export interface ModelEntry {
  name: string;
  source: 'embedded' | 'zoo' | 'cli';
  /** URL (path or http(s)) of model.json. */
  url: string;
  labelsUrl?: string;
  meanUrl?: string;
  default?: true;
  /** Zoo models: the input preprocessing they expect (caffe, torch, tf, none). */
  preprocess?: string;
  description?: string;
}

/** `GET /api/samples`: the sample images. */
export interface SampleEntry {
  name: string;
  url: string;
  label?: string;
  /** Which collection it belongs to: `inputs`, `fashion-mnist` or `photos`. */
  group: string;
  /** 1 (gray) or 3 (RGB): the page offers the samples that fit the model's input. */
  channels: 1 | 3;
}

/** `GET /api/patches`: one entry per `--patches` folder and layer. */
export interface PatchesEntry {
  /** The folder's position in `--patches`. */
  id: number;
  layer: string;
  model?: string;
  manifestUrl: string;
}
