/**
 * Keras models with their architecture through the built CLI, as a user runs them: `layers`
 * reads the graph of a `.keras` archive (residual merge as a union of fields), `predict` uses
 * labels.json beside the file and gives the same probabilities on ONNX Runtime and TF.js,
 * `filters` renders from a `.h5` full-model file and a `.keras` archive, and bad files end
 * with one line and exit code 1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const FIXTURES = 'test/fixtures/keras';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-keras-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface LayerJson {
  name: string;
  kind: string;
  outputShape: number[];
  inputs: string[];
  receptiveField: { size: number; jump: number; start: number } | null;
}

describe('Keras models on the command line', () => {
  it('layers --json shows the residual graph of a .keras archive', async () => {
    const model = `${FIXTURES}/residual.keras`;
    const { code, stdout } = await cli('layers', '--model', model, '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { inputShape: number[]; layers: LayerJson[] };
    expect(result.inputShape).toEqual([16, 16, 3]);
    const byName = Object.fromEntries(result.layers.map((l) => [l.name, l]));
    expect(byName.res_add).toMatchObject({
      kind: 'Add',
      outputShape: [16, 16, 8],
      receptiveField: { size: 7, jump: 1, start: 0 }, // union of 3 (stem) and 7 (branch)
    });
    expect(byName.pool.receptiveField).toEqual({ size: 8, jump: 2, start: 0.5 });
    expect(byName.logits).toMatchObject({ kind: 'Dense', outputShape: [4] });
  });

  it('layers prints the table for a Keras 2 .h5 saved with model.save()', async () => {
    const { code, stdout } = await cli('layers', '--model', `${FIXTURES}/sequential-keras2.h5`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/block2_conv\s+Conv2D\s+8x8x16\s+16\s+8\s+2\s+0\.5/);
  });

  it('predict names classes from labels.json, equal on both engines', async () => {
    const args = ['predict', '--model', `${FIXTURES}/sequential.keras`];
    const images = ['--images', 'samples/inputs/sneaker.png', '--top', '4', '--json'];
    const runs = await Promise.all(
      ['onnx', 'tfjs'].map((e) => cli(...args, ...images, '--engine', e)),
    );
    type Top = { label: string; probability: number }[];
    const [onnx, tfjs] = runs.map((r) => {
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { top: Top }[])[0].top;
    });
    expect(onnx.map((t) => t.label).sort()).toEqual(['circle', 'dots', 'square', 'stripes']);
    expect(tfjs.map((t) => t.label)).toEqual(onnx.map((t) => t.label));
    tfjs.forEach((t, i) => expect(t.probability).toBeCloseTo(onnx[i].probability, 5));
  });

  it.each([
    ['residual-keras2.h5', 'res_conv_b', [0, 1]],
    ['sequential.keras', 'block2_conv', [0, 2]],
  ])('filters renders units of %s', async (fixture, layer, units) => {
    const out = path.join(dir, fixture);
    const model = `${FIXTURES}/${fixture}`;
    const { code, stdout } = await cli(
      ...['filters', '--model', model, '--layer', layer, '--filters', units.join(',')],
      // At lucid's 0.05 (every size since issue 16) sequential.keras's block2_conv 0 first
      // passes its noise start after ~24 steps: 48 leave a margin (16 px: milliseconds a step).
      ...['--steps', '48', '--out', out, '--json', '--quiet'],
    );
    expect(code).toBe(0);
    const manifest = JSON.parse(stdout) as {
      model: string;
      items: { file: string; activation: { initial: number; best: number } }[];
    };
    expect(manifest.model).toBe(model);
    expect(manifest.items.map((i) => i.file)).toEqual(units.map((u) => `${layer}_${u}.png`));
    for (const item of manifest.items) {
      expect(item.activation.best).toBeGreaterThan(item.activation.initial);
    }
  });

  it('a bad file ends with one line and exit code 1', async () => {
    const file = path.join(dir, 'notes.keras');
    await writeFile(file, 'plain text');
    const { code, stderr } = await cli('layers', '--model', file);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `convscope: ${file} is not a .keras archive (not a zip file) (pass a .keras file written by Keras 3 \`model.save("model.keras")\`)`,
    ]);
  });
});
