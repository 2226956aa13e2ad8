/**
 * One labels reader for `--labels` and the labels.json beside a model: JSON arrays and
 * one-name-per-line files read the same everywhere; a malformed labels.json beside a model is an
 * error that names the file (it used to surface as a bare JSON SyntaxError).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsBeside, readLabelsFile } from './labels-file.js';
import { openModel } from './open-model.js';

describe('labels files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-labels-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a JSON array and a one-per-line text file alike', async () => {
    await writeFile(path.join(dir, 'a.json'), '["cat", "dog", 3]');
    await writeFile(path.join(dir, 'b.txt'), 'cat\r\n  dog \n\n3\n');
    expect(await readLabelsFile(path.join(dir, 'a.json'))).toEqual(['cat', 'dog', '3']);
    expect(await readLabelsFile(path.join(dir, 'b.txt'))).toEqual(['cat', 'dog', '3']);
  });

  it('has no labels beside a model without labels.json, and names a broken one', async () => {
    expect(await labelsBeside(dir)).toBeUndefined();
    await expect(readLabelsFile(path.join(dir, 'none.json'))).rejects.toThrow(
      /cannot read labels .*none\.json: no such file/,
    );
    await writeFile(path.join(dir, 'labels.json'), '["cat", "dog"');
    await expect(labelsBeside(dir)).rejects.toThrow(/labels .*labels\.json is not valid JSON/);
  });

  it('a model.json folder with a malformed labels.json fails with that file named', async () => {
    const model = path.join(dir, 'model');
    await mkdir(model);
    for (const f of ['model.json', 'weights.bin']) {
      await copyFile(path.join('models/embedded', f), path.join(model, f));
    }
    await writeFile(path.join(model, 'labels.json'), '[oops');
    await expect(openModel({ model: path.join(model, 'model.json') })).rejects.toThrow(
      /labels .*model\/labels\.json is not valid JSON/,
    );
    await writeFile(path.join(model, 'labels.json'), '["a","b","c","d","e","f","g","h","i","j"]');
    const opened = await openModel({ model: path.join(model, 'model.json') });
    expect(opened.labels?.[9]).toBe('j');
    opened.dispose();
  });
});
