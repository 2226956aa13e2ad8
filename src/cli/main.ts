#!/usr/bin/env node
/** The `convscope` command line: one file per command under commands/, wired up here. */
import { Command } from 'commander';
import { PACKAGE } from '../node/package-info.js';
import { addAtlasCommand } from './commands/atlas.js';
import { addAttributeCommand } from './commands/attribute.js';
import { addClassesCommand } from './commands/classes.js';
import { addEvaluateCommand } from './commands/evaluate.js';
import { addFiltersCommand } from './commands/filters.js';
import { addLayersCommand } from './commands/layers.js';
import { addMapsCommand } from './commands/maps.js';
import { addModelsCommand } from './commands/models.js';
import { addPatchesCommand } from './commands/patches.js';
import { addPredictCommand } from './commands/predict.js';
import { addServeCommand } from './commands/serve.js';
import { addWeightsCommand } from './commands/weights.js';
import { addWorkerCommand } from './commands/worker.js';
import { oneLineParseErrors } from './parse-errors.js';

// `convscope ... | head` closes stdout early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('convscope')
  .description('See what convolutional networks learn (TensorFlow.js).')
  .version(PACKAGE.version);

addLayersCommand(program);
addPredictCommand(program);
addModelsCommand(program);
addEvaluateCommand(program);
addFiltersCommand(program);
addClassesCommand(program);
addWeightsCommand(program);
addMapsCommand(program);
addAttributeCommand(program);
addPatchesCommand(program);
addAtlasCommand(program);
addServeCommand(program);
addWorkerCommand(program);
oneLineParseErrors(program);

await program.parseAsync(process.argv);
