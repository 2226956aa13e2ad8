/**
 * Objectives as data: `objectiveFromSpec` rebuilds any objective from its `ObjectiveSpec`
 * (spec-types.ts), so the CLI, the web form, manifests, worker threads, queue jobs and the
 * Web Worker all pass data and rebuild the same function; `readObjectiveSpec` validates a
 * JSON value from outside (a file, a job payload, a message) with errors that name the path
 * of the bad field (and reads the `index` that channel and neuron specs said before they said
 * `channel`), and `specLayers` lists the layers a spec reads.
 */
import { ConvscopeError } from '../errors.js';
import { LOGITS } from '../models/forward.js';
import {
  channel,
  classLogit,
  deepdream,
  diversity,
  INPUT,
  lp,
  negate,
  neuron,
  scale,
  sum,
  totalVariation,
  type Objective,
} from './objective.js';
import { OBJECTIVE_KINDS, type ObjectiveSpec } from './spec-types.js';

export type * from './spec-types.js';
export { OBJECTIVE_KINDS };

/**
 * @example objectiveFromSpec({ kind: 'channel', layer: 'block3_conv1', channel: 5 })
 * @example objectiveFromSpec({ kind: 'sum', terms: [a, { kind: 'scale', factor: -1e-3, objective: { kind: 'total-variation' } }] })
 */
export function objectiveFromSpec(spec: ObjectiveSpec): Objective {
  switch (spec.kind) {
    case 'channel':
      return channel(spec.layer, spec.channel);
    case 'neuron':
      return neuron(spec.layer, spec.channel, spec.y, spec.x);
    case 'class':
      return classLogit(spec.index, spec.label);
    case 'deepdream':
      return deepdream(spec.layer);
    case 'diversity':
      return diversity(spec.layer);
    case 'total-variation':
      return totalVariation();
    case 'lp':
      return lp(spec.p);
    case 'sum':
      return sum(...spec.terms.map(objectiveFromSpec));
    case 'scale':
      return scale(objectiveFromSpec(spec.objective), spec.factor);
    case 'negate':
      return negate(objectiveFromSpec(spec.objective));
  }
}

/** The layers `spec` reads: layer names, `LOGITS` for classes, `INPUT` for penalties. */
export function specLayers(spec: ObjectiveSpec): string[] {
  switch (spec.kind) {
    case 'class':
      return [LOGITS];
    case 'total-variation':
    case 'lp':
      return [INPUT];
    case 'sum':
      return [...new Set(spec.terms.flatMap(specLayers))];
    case 'scale':
    case 'negate':
      return specLayers(spec.objective);
    default:
      return [spec.layer];
  }
}

/** `specLayers` without the input pseudo-layer: what the network must compute. */
export const networkLayers = (spec: ObjectiveSpec): string[] =>
  specLayers(spec).filter((l) => l !== INPUT);

type Json = Record<string, unknown>;

const fail = (path: string, what: string): never => {
  throw new ConvscopeError(
    `${path} ${what}`,
    'see "Objectives" in the README for the JSON form (e.g. {"kind":"channel","layer":"block3_conv1","channel":5})',
  );
};

function field(value: Json, key: string, path: string, type: 'string' | 'number'): void {
  const v = value[key];
  if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) {
    fail(`${path}.${key}`, `must be a ${type === 'number' ? 'finite number' : 'string'}`);
  }
  if (type === 'string' && ((v as string).length === 0 || (v as string).length > 256)) {
    fail(`${path}.${key}`, 'must be a name of 1 to 256 characters');
  }
}

function index(value: Json, key: string, path: string, optional = false): void {
  const v = value[key];
  if (optional && v === undefined) return;
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 1 << 20) {
    fail(`${path}.${key}`, 'must be a whole number from 0');
  }
}

/**
 * The channel of a channel or neuron spec: `channel`, or `index` in specs written before the
 * rename (manifests, objective files, queued jobs); both at once must agree.
 */
function legacyChannel(value: Json, path: string): Json {
  if (value.index === undefined) return value;
  index(value, 'index', path);
  if (value.channel !== undefined && value.channel !== value.index) {
    fail(`${path}.index`, `is the old name of ${path}.channel; give one of them`);
  }
  const { index: channel, ...rest } = value;
  return { ...rest, channel };
}

/**
 * Checks that `raw` (parsed JSON from outside) is an `ObjectiveSpec`, at most `depth` levels
 * deep; the error names the bad field's path, e.g. `objective.terms[1].factor`. Returns the
 * spec with old field names replaced by current ones (`index` of a channel is `channel`).
 * @example const spec = readObjectiveSpec(JSON.parse(text), 'objective')
 */
export function readObjectiveSpec(raw: unknown, path = 'objective', depth = 16): ObjectiveSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(path, 'must be an object');
  if (depth <= 0) fail(path, 'is nested too deeply (16 levels at most)');
  let value = raw as Json;
  const kind = value.kind;
  if (!OBJECTIVE_KINDS.includes(kind as ObjectiveSpec['kind'])) {
    fail(
      `${path}.kind`,
      `must be one of ${OBJECTIVE_KINDS.join(', ')} (got ${JSON.stringify(kind)})`,
    );
  }
  switch (kind as ObjectiveSpec['kind']) {
    case 'channel':
    case 'neuron':
      value = legacyChannel(value, path);
      field(value, 'layer', path, 'string');
      index(value, 'channel', path);
      index(value, 'y', path, true);
      index(value, 'x', path, true);
      break;
    case 'class':
      index(value, 'index', path);
      if (value.label !== undefined) field(value, 'label', path, 'string');
      break;
    case 'deepdream':
    case 'diversity':
      field(value, 'layer', path, 'string');
      break;
    case 'lp':
      field(value, 'p', path, 'number');
      if (!((value.p as number) > 0)) fail(`${path}.p`, 'must be positive');
      break;
    case 'sum':
      if (!Array.isArray(value.terms) || value.terms.length === 0 || value.terms.length > 256) {
        fail(`${path}.terms`, 'must list 1 to 256 objectives');
      }
      value = {
        ...value,
        terms: (value.terms as unknown[]).map((t, i) =>
          readObjectiveSpec(t, `${path}.terms[${i}]`, depth - 1),
        ),
      };
      break;
    case 'scale':
      field(value, 'factor', path, 'number');
      value = {
        ...value,
        objective: readObjectiveSpec(value.objective, `${path}.objective`, depth - 1),
      };
      break;
    case 'negate':
      value = {
        ...value,
        objective: readObjectiveSpec(value.objective, `${path}.objective`, depth - 1),
      };
      break;
    case 'total-variation':
      break;
  }
  return value as unknown as ObjectiveSpec;
}
