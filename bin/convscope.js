#!/usr/bin/env node
// Entry point installed as `convscope`: runs the compiled CLI (built by `npm install`'s prepare step).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    'convscope: the CLI is not built yet (run `npm install` or `npm run build` in the project)\n',
  );
  process.exit(1);
}
await import(main.href);
