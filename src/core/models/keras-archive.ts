/**
 * A Keras 3 `.keras` archive taken apart: a zip holding `config.json` (the model, as
 * `serialize_keras_object` writes it), `metadata.json` (`keras_version`, `date_saved`) and
 * `model.weights.h5` (the variables, see keras-v3-weights.ts), as
 * `saving_lib._save_model_to_fileobj` writes them (keras-team/keras,
 * keras/src/saving/saving_lib.py). Unzipped with fflate, in memory, so it runs in browsers too.
 */
import { strFromU8, unzipSync } from 'fflate';
import { ConvscopeError } from '../errors.js';

/** What a `.keras` archive holds that convscope reads. */
export interface KerasArchive {
  /** Parsed `config.json`. */
  config: unknown;
  /** `keras_version` from `metadata.json`, when there is one. */
  kerasVersion?: string;
  /** The bytes of `model.weights.h5`. */
  weights: Uint8Array;
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04]; // "PK\3\4", a zip's first local file header

const ARCHIVE_HINT = 'pass a .keras file written by Keras 3 `model.save("model.keras")`';

function parseJson(bytes: Uint8Array, name: string, where: string): unknown {
  try {
    return JSON.parse(strFromU8(bytes));
  } catch (error) {
    throw new ConvscopeError(
      `${where}: ${name} is not valid JSON (${(error as Error).message})`,
      'the archive is damaged; save the model again',
    );
  }
}

/**
 * Unzips a `.keras` archive and checks that it has a config and h5 weights.
 * @example const archive = readKerasArchive(new Uint8Array(await file.arrayBuffer()), file.name);
 */
export function readKerasArchive(bytes: Uint8Array, where: string): KerasArchive {
  if (!ZIP_SIGNATURE.every((b, i) => bytes[i] === b)) {
    throw new ConvscopeError(`${where} is not a .keras archive (not a zip file)`, ARCHIVE_HINT);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new ConvscopeError(
      `${where} is a damaged zip archive (${(error as Error).message})`,
      'is the file complete? copy or download it again',
    );
  }
  if (!files['config.json']) {
    throw new ConvscopeError(`${where} has no config.json, so no model architecture`, ARCHIVE_HINT);
  }
  if (!files['model.weights.h5']) {
    const npz = files['model.weights.npz'] ? ' (its weights are in .npz form)' : '';
    throw new ConvscopeError(
      `${where} has no model.weights.h5${npz}`,
      'save the model with Keras 3 `model.save("model.keras")` (h5 weights, the default)',
    );
  }
  const metadata = files['metadata.json']
    ? parseJson(files['metadata.json'], 'metadata.json', where)
    : undefined;
  const version = (metadata as { keras_version?: unknown } | undefined)?.keras_version;
  return {
    config: parseJson(files['config.json'], 'config.json', where),
    kerasVersion: typeof version === 'string' ? version : undefined,
    weights: files['model.weights.h5'],
  };
}
