/** Runs the compiled CLI (`node bin/convscope.js`, as `npx convscope` does) and captures it. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BIN = path.resolve('bin/convscope.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Exit code, stdout and stderr of `convscope ...args` (never throws on a non-zero exit). */
export async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `cli` run in the folder `cwd` (for outputs written to a default path). */
export async function cliIn(cwd: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { cwd, maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
