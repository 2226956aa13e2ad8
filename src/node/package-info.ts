/** This package's name and version (for `--version` and the `tool` field of manifests). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './open-model.js';

export const PACKAGE = JSON.parse(
  readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'),
) as {
  name: string;
  version: string;
};

/** `convscope@x.y.z`. */
export const TOOL = `${PACKAGE.name}@${PACKAGE.version}`;
