/**
 * ONNX models from the command line: layers named by module path with container aliases and
 * folded batch norms noted, labels, `--size` for dynamic axes, every view running on them, and
 * each kind of bad input giving a one-line error with exit code 1. Broken models are made by
 * editing a fixture's protobuf (onnx-proto), as a damaged or unusual export would be.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const { onnx } = onnxProto;
const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'onnx');
const RESNET = path.join(FIXTURES, 'resnet-basic', 'model.onnx');
let dir: string;

/** A copy of the fixture model with `edit` applied, written to `name`. */
async function edited(
  name: string,
  edit: (m: InstanceType<typeof onnx.ModelProto>) => void,
): Promise<string> {
  const model = onnx.ModelProto.decode(await readFile(RESNET));
  edit(model);
  const file = path.join(dir, name);
  await writeFile(file, onnx.ModelProto.encode(model).finish());
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-onnx-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('convscope on an ONNX model', () => {
  it('lists layers by PyTorch module path, with aliases and folded batch norms', async () => {
    const { code, stdout } = await cli('layers', '--model', RESNET, '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const names = result.layers.map((l: { name: string }) => l.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'conv1',
        'layer1.0.conv2',
        'layer1.0.relu_1',
        'layer2.0.downsample.0',
        'fc',
      ]),
    );
    expect(result.aliases['layer1.0']).toBe('layer1.0.relu_1');
    const conv = result.layers.find((l: { name: string }) => l.name === 'layer1.0.conv1');
    expect(conv).toMatchObject({
      kind: 'Conv2D',
      outputShape: [8, 8, 8],
      note: expect.stringContaining('batch norm'),
    });
    expect(conv.receptiveField).toEqual({ size: 19, jump: 4, start: 0 });
    expect(result.input).toEqual({ range: [0, 1], preprocess: 'none' });
  });

  it('reads a container name as its output layer and runs maps, filters and attribute on it', async () => {
    const maps = await cli(
      'maps',
      '--model',
      RESNET,
      '--image',
      'samples/photos/cat.jpg',
      '--layer',
      'layer1.0',
      '--out',
      path.join(dir, 'maps.png'),
      '--json',
    );
    expect(maps.code, maps.stderr).toBe(0);
    expect(JSON.parse(maps.stdout).layers[0].name).toBe('layer1.0.relu_1');
    const filters = await cli(
      'filters',
      '--model',
      RESNET,
      '--layer',
      'layer2',
      '--filters',
      '0-1',
      '--steps',
      '4',
      '--out',
      path.join(dir, 'filters'),
      '--json',
    );
    expect(filters.code, filters.stderr).toBe(0);
    const manifest = JSON.parse(filters.stdout);
    expect(manifest.items.map((i: { layer: string }) => i.layer)).toEqual([
      'layer2.0.relu_1',
      'layer2.0.relu_1',
    ]);
    expect(manifest.engine).toMatch(/onnx/);
    expect(manifest.size).toBe(32);
    const png = await sharp(path.join(dir, 'filters', manifest.items[0].file)).stats();
    expect(png.channels[0].stdev).toBeGreaterThan(1);
  });

  it('runs every attribution method and the kernel view on it', async () => {
    const methods = ['deconvnet', 'guided', 'saliency', 'smoothgrad', 'gradcam'];
    const args = ['attribute', '--model', RESNET, '--image', 'samples/photos/cat.jpg'];
    const unit = ['--layer', 'layer1.0', '--filters', '2', '--samples', '4'];
    const out = path.join(dir, 'attribution.png');
    const attribution = await cli(
      ...args,
      '--method',
      methods.join(','),
      ...unit,
      '--out',
      out,
      '--json',
    );
    expect(attribution.code, attribution.stderr).toBe(0);
    const results = JSON.parse(attribution.stdout) as {
      method: string;
      min: number;
      max: number;
      engine: string;
    }[];
    expect(results.map((r) => r.method)).toEqual(methods);
    for (const r of results) {
      expect(r.engine).toBe('onnx');
      expect(Number.isFinite(r.min) && Number.isFinite(r.max) && r.max > r.min).toBe(true);
    }
    const weights = await cli(
      'weights',
      '--model',
      RESNET,
      '--layer',
      'conv1',
      '--out',
      path.join(dir, 'w.png'),
      '--json',
    );
    expect(weights.code, weights.stderr).toBe(0);
    expect(JSON.parse(weights.stdout)).toMatchObject({ layer: 'conv1', kernelShape: [7, 7, 3, 8] });
  });

  it('runs classes on the logits before an exported Softmax', async () => {
    const model = path.join(FIXTURES, 'ops', 'model.onnx');
    const args = ['classes', '--model', model, '--class', '0-1', '--steps', '8'];
    const { code, stdout, stderr } = await cli(
      ...args,
      '--out',
      path.join(dir, 'classes'),
      '--json',
      '--quiet',
    );
    expect(code, stderr).toBe(0);
    const manifest = JSON.parse(stdout);
    expect(manifest.engine).toBe('onnx');
    for (const item of manifest.items) {
      expect(item.activation.final).toBeGreaterThan(item.activation.initial);
      expect(item.probability).toBeGreaterThan(0);
    }
  });

  it('takes class names from --labels (JSON or lines) and checks their count', async () => {
    const lines = path.join(dir, 'labels.txt');
    await writeFile(lines, Array.from({ length: 10 }, (_, i) => `thing ${i}`).join('\n'));
    const ok = await cli(
      'predict',
      '--model',
      RESNET,
      '--labels',
      lines,
      '--image',
      'samples/photos/cat.jpg',
      '--top',
      '3',
      '--json',
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)[0].top[0].label).toMatch(/^thing \d$/);
    const short = path.join(dir, 'short.json');
    await writeFile(short, JSON.stringify(['a', 'b']));
    const bad = await cli(
      'predict',
      '--model',
      RESNET,
      '--labels',
      short,
      '--image',
      'samples/photos/cat.jpg',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/names 2 classes but the model has 10/);
  });

  it('needs --size for a dynamic input, and runs at that size', async () => {
    const file = await edited('dynamic.onnx', (m) => {
      const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
      dims[2] = { dimParam: 'height' };
      dims[3] = { dimParam: 'width' };
    });
    const missing = await cli('layers', '--model', file);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/dynamic.*--size/s);
    const sized = await cli('layers', '--model', file, '--size', '64', '--json');
    expect(sized.code, sized.stderr).toBe(0);
    expect(JSON.parse(sized.stdout).inputShape).toEqual([64, 64, 3]);
  });

  it('refuses --size for models that are not ONNX', async () => {
    const { code, stderr } = await cli('layers', '--size', '64');
    expect(code).toBe(1);
    expect(stderr).toMatch(/--size sets the input size of ONNX models/);
  });

  it.each([
    [
      'a file that is not ONNX',
      async () => {
        const file = path.join(dir, 'junk.onnx');
        await writeFile(file, '<html>Not Found</html>');
        return file;
      },
      /is not an ONNX (file|model)/,
    ],
    [
      'an op outside the supported set',
      () =>
        edited('erf.onnx', (m) => {
          const relu = m.graph!.node!.find((n) => n.opType === 'Relu')!;
          relu.opType = 'Erf';
        }),
      /unsupported ONNX op 'Erf' \(node '\/relu\/Relu'\)/,
    ],
    [
      'weights stored as missing external data',
      () =>
        edited('external.onnx', (m) => {
          const t = m.graph!.initializer!.find((i) => i.dims!.length === 4)!;
          t.rawData = new Uint8Array();
          t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
          t.externalData = [{ key: 'location', value: 'external.onnx.data' }];
        }),
      /stored in 'external.onnx.data' beside it, which is missing/,
    ],
    [
      'a truncated weight',
      () =>
        edited('truncated.onnx', (m) => {
          const t = m.graph!.initializer!.find((i) => i.dims!.length === 4)!;
          t.rawData = t.rawData!.slice(0, 10);
        }),
      /holds 10 bytes but its shape/,
    ],
  ])('gives a one-line error for %s', async (_, make, message) => {
    const file = await make();
    const { code, stderr } = await cli('layers', '--model', file);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
