#!/usr/bin/env node
/** The `convscope` command line: one file per command under commands/, wired up here. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../node/open-model.js';
import { addEvaluateCommand } from './commands/evaluate.js';
import { addLayersCommand } from './commands/layers.js';
import { addPredictCommand } from './commands/predict.js';

const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

const program = new Command('convscope')
  .description('See what convolutional networks learn (TensorFlow.js).')
  .version(pkg.version)
  .showHelpAfterError('(run `convscope <command> --help` for the options)');

addLayersCommand(program);
addPredictCommand(program);
addEvaluateCommand(program);

await program.parseAsync(process.argv);
