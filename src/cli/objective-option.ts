/**
 * `--objective EXPR|FILE.json` of `filters` and `classes`: the run's items from an objective
 * expression (objective-expression.ts) or a JSON file holding one objective spec, a list of
 * them, or a previous run's manifest.json (its items' `spec`s: the same objectives again).
 * Each objective is checked against the model up front, with the library's wording (unknown
 * layer, filter out of range), before any work starts.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConvscopeError } from '../core/errors.js';
import type { VisModel } from '../core/models/vis-model.js';
import { checkObjective } from '../core/objectives/objective.js';
import {
  objectiveFromSpec,
  readObjectiveSpec,
  type ObjectiveSpec,
} from '../core/objectives/objective-spec.js';
import type { VisualizeItem } from '../node/visualize-item.js';
import { parseObjectiveExpression } from '../core/objectives/objective-expression.js';
import { specItems } from '../core/run/spec-items.js';

/** Adds `--objective`. */
export function withObjectiveOption(command: Command): Command {
  return command.option(
    '--objective <expr|file>',
    'any objective instead: an expression, e.g. "block4_conv3:12 + 0.5*neuron(block5_conv1:3) - 1e-3*tv", or a JSON file (a spec, a list of specs, or a manifest.json to rebuild its objectives)',
  );
}

const isFile = async (value: string) =>
  (await stat(value).catch(() => null))?.isFile() === true || /\.json$/i.test(value.trim());

/** The specs of a JSON file: a spec, a list of specs, or a manifest's items' specs. */
async function specsOfFile(file: string): Promise<ObjectiveSpec[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConvscopeError(
      `cannot read --objective file '${file}': ${(error as NodeJS.ErrnoException).code ?? error}`,
      'give an objective expression or the path of a JSON file',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConvscopeError(
      `--objective file '${file}' is not JSON: ${(error as Error).message}`,
      'fix the file (README, "Objectives", shows the JSON form)',
    );
  }
  const items = (json as { items?: unknown } | null)?.items;
  if (Array.isArray(items)) {
    return items.map((item, i) => {
      const spec = (item as { spec?: unknown } | null)?.spec;
      if (spec === undefined) {
        throw new ConvscopeError(
          `--objective manifest '${file}' has no spec for item ${i}`,
          'manifests written before convscope stored objectives as data cannot be rebuilt this way',
        );
      }
      return readObjectiveSpec(spec, `items[${i}].spec`);
    });
  }
  if (Array.isArray(json)) {
    if (json.length === 0)
      throw new ConvscopeError(`--objective file '${file}' lists no objectives`);
    return json.map((spec, i) => readObjectiveSpec(spec, `objective[${i}]`));
  }
  return [readObjectiveSpec(json)];
}

/**
 * @example await objectiveItems(model, 'block2_conv1:3 - 1e-3*tv') // one item, stem 'objective'
 */
export async function objectiveItems(model: VisModel, value: string): Promise<VisualizeItem[]> {
  const specs = (await isFile(value))
    ? await specsOfFile(value.trim())
    : [
        parseObjectiveExpression(value, (name) => {
          const index = model.classIndex(/^\d+$/.test(name) ? Number(name) : name);
          return { index, label: model.labels?.[index] };
        }),
      ];
  for (const spec of specs) checkObjective(model, objectiveFromSpec(spec));
  return specItems(specs);
}

/** `--objective` replaces the command's own item flags: giving both is refused. */
export function checkObjectiveAlone(given: Record<string, unknown>): void {
  const clash = Object.entries(given).find(([, v]) => v !== undefined && v !== false);
  if (clash) {
    throw new ConvscopeError(
      `--objective and --${clash[0]} both say what to optimize: give one`,
      '--objective takes the whole objective, e.g. "block4_conv3:12 - 1e-3*tv"',
    );
  }
}
