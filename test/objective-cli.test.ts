/**
 * `--objective` on the command line: an expression with a composite objective (a channel, a
 * scaled neuron, a total-variation penalty) runs on TF.js, the manifest stores its spec, and a
 * run from that manifest (`--objective manifest.json`) rebuilds the same PNG bytes; a JSON
 * list of specs (in the old `index` form) runs on ONNX Runtime in two worker threads and
 * round-trips the same way; bad expressions, unknown layers and out-of-range channels exit 1
 * with the usual wording.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-objective-'));
});

const run = (objective: string, out: string, ...more: string[]) =>
  cli('filters', '--objective', objective, '--steps', '8', '--out', out, '--json', ...more);

const bytes = (dir: string, file: string) => readFile(path.join(dir, file));

describe('--objective', () => {
  it('runs an expression, stores its spec, and rebuilds the same image from the manifest', async () => {
    const first = path.join(tmp, 'expr');
    const again = path.join(tmp, 'expr-again');
    const result = await run(
      'block2_conv1:3 + 0.5*neuron(block2_conv2:5) - 0.05*tv',
      first,
      '--engine',
      'tfjs',
    );
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(result.stdout);
    expect(manifest.items[0].spec).toEqual({
      kind: 'sum',
      terms: [
        { kind: 'channel', layer: 'block2_conv1', channel: 3 },
        {
          kind: 'scale',
          factor: 0.5,
          objective: { kind: 'neuron', layer: 'block2_conv2', channel: 5 },
        },
        { kind: 'scale', factor: -0.05, objective: { kind: 'total-variation' } },
      ],
    });
    expect(manifest.items[0].objective).toMatch(/channel block2_conv1:3 \+ 0.5 \* \(neuron/);
    const rebuilt = await run(path.join(first, 'manifest.json'), again, '--engine', 'tfjs');
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout).items[0].spec).toEqual(manifest.items[0].spec);
    expect(
      Buffer.compare(await bytes(first, 'objective.png'), await bytes(again, 'objective.png')),
    ).toBe(0);
  });

  it('runs a JSON list on ONNX Runtime in worker threads and rebuilds it', async () => {
    const file = path.join(tmp, 'objectives.json');
    const list = (unit: Record<string, unknown>) => [
      { kind: 'deepdream', layer: 'block2_conv2' },
      {
        kind: 'sum',
        terms: [
          { kind: 'negate', objective: { kind: 'channel', layer: 'block3_conv1', ...unit } },
          { kind: 'scale', factor: -0.1, objective: { kind: 'lp', p: 2 } },
        ],
      },
    ];
    // A file from before the channel's field was named `channel` (it said `index`): read, and
    // stored in the manifest under today's name.
    const specs = list({ channel: 2 });
    await writeFile(file, JSON.stringify(list({ index: 2 })));
    const first = path.join(tmp, 'list');
    const again = path.join(tmp, 'list-again');
    const result = await run(file, first, '--engine', 'onnx', '--workers', '2');
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(result.stdout);
    expect(manifest.engine).toBe('onnx');
    expect(manifest.workers).toBe(2);
    expect(manifest.items.map((i: { spec: unknown }) => i.spec)).toEqual(specs);
    const rebuilt = await run(
      path.join(first, 'manifest.json'),
      again,
      '--engine',
      'onnx',
      '--workers',
      '2',
    );
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    for (const f of ['objective_0.png', 'objective_1.png']) {
      expect(Buffer.compare(await bytes(first, f), await bytes(again, f)), f).toBe(0);
    }
  });

  it('refuses bad objectives with one line that names the fix', async () => {
    const out = path.join(tmp, 'bad');
    const cases: [string[], RegExp][] = [
      [['block2_conv1:3 +'], /cannot read --objective at column 17 \(the end\): expected a unit/],
      [['blok2_conv1:3'], /unknown layer 'blok2_conv1'/],
      [['block2_conv1:999'], /channel 999 is out of range; layer 'block2_conv1' has 32 channels/],
      [
        ['block2_conv1:3', '--layer', 'block2_conv1'],
        /--objective and --layer both say what to optimize/,
      ],
      [[path.join(tmp, 'missing.json')], /cannot read --objective file .*ENOENT/],
    ];
    // One process each (model load dominates), started together.
    const results = await Promise.all(
      cases.map(([[objective, ...more]]) => run(objective, out, '--engine', 'tfjs', ...more)),
    );
    results.forEach((result, i) => {
      expect(result.code, cases[i][0][0]).toBe(1);
      expect(result.stderr, cases[i][0][0]).toMatch(cases[i][1]);
    });
  });
});
