/**
 * `serve --atlas SITE`: an atlas built by `convscope atlas` served under `/atlas/`, beside the
 * workbench. The site is static; the one thing the server adds is `workbench.js`, which tells
 * the page where the live workbench is and which model the atlas shows, so each unit links to
 * the live view of that unit (`/?view=filters&layer=L&filters=K&model=M`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { readManifest } from '../node/atlas/plan.js';
import { WORKBENCH_SCRIPT, workbenchScript } from '../node/atlas/site.js';
import { SECURITY_HEADERS } from './responses.js';
import type { StaticRoot } from './static-roots.js';

export interface AtlasSite {
  root: StaticRoot;
  /** The body of `/atlas/workbench.js`. */
  workbench: string;
}

/** Checks that `dir` holds an atlas (its manifest) and prepares serving it. */
export async function loadAtlasSite(dir: string): Promise<AtlasSite> {
  const manifest = await readManifest(dir).catch((error: unknown) => {
    if (error instanceof ConvscopeError) throw error;
    throw new ConvscopeError(
      `--atlas ${dir} cannot be read (${(error as Error).message})`,
      'give the folder `convscope atlas --out` wrote',
    );
  });
  if (!manifest) {
    throw new ConvscopeError(
      `--atlas ${dir} holds no atlas (no atlas.json)`,
      'give the folder `convscope atlas --out SITE` wrote, or build one first',
    );
  }
  return {
    root: { dir: path.resolve(dir) },
    workbench: workbenchScript('/', manifest.settings.model),
  };
}

/** Answers `/atlas/workbench.js` from memory; true when it did. */
export function sendWorkbenchScript(
  res: ServerResponse,
  req: IncomingMessage,
  site: AtlasSite,
  segments: string[],
): boolean {
  if (segments.length !== 1 || segments[0] !== WORKBENCH_SCRIPT) return false;
  const body = Buffer.from(site.workbench);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
