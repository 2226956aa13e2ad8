/**
 * Browser tests' fixtures: `convscope serve` started as a user starts it (the compiled CLI on
 * a free loopback port), and Debian's Chromium driven by playwright-core (no browser
 * download). Chromium gets a fake webcam (an animated test pattern) and auto-accepted camera
 * permission. Without /usr/bin/chromium the tests skip, unless CONVSCOPE_REQUIRE_BROWSER is set
 * (CI installs Chromium and sets it, so a missing browser fails there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BIN } from '../helpers/cli.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_BROWSER = existsSync(CHROMIUM);
if (!HAVE_BROWSER) {
  const message = `browser tests need Chromium at ${CHROMIUM}: run scripts/install-browser.sh`;
  if (process.env.CONVSCOPE_REQUIRE_BROWSER) throw new Error(message);
  console.warn(`skipping the workbench's browser tests: ${message}`);
}
export const SHOTS = path.resolve('test-output/e2e');

export interface Served {
  url: string;
  process: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `convscope serve --port 0 --json ...args` and resolves with its URL. */
export async function serve(...args: string[]): Promise<Served> {
  const child = spawn('node', [BIN, 'serve', '--port', '0', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`convscope serve exited with ${code}`)));
  });
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
  return { url, process: child, stop };
}

/** Starts Chromium; `extraArgs` adds flags (the GPU tests add `--enable-unsafe-webgpu`). */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...extraArgs,
    ],
  });
}

/** Collects uncaught page errors, so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** The bytes of what a history detail's download button gives (the detail must be open). */
export async function downloaded(page: Page, label: string): Promise<Buffer> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.click(`.downloads button:text-is("${label}")`),
  ]);
  return readFile((await file.path())!);
}

/** The `manifest.json` of the whole-run zip: opens the first tile's detail and downloads it. */
export async function runManifest<T>(page: Page): Promise<T> {
  await page.click('.tile >> nth=0');
  await page.waitForSelector('.detail .downloads');
  const zip = unzipSync(new Uint8Array(await downloaded(page, 'Whole run (zip)')));
  return JSON.parse(new TextDecoder().decode(zip['manifest.json'])) as T;
}
