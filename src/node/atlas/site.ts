/**
 * The static files of an atlas site besides its data: `index.html`, `atlas.css` (the
 * workbench's look: its colours, header and panels from web/src/styles.css) and `atlas.js`
 * (site-script.ts). Images are stored at the size they were made at; the CSS upscales them
 * with `image-rendering: pixelated`, so a 28 px unit shows as crisp 112 px squares.
 */
import path from 'node:path';
import { writeBytesAtomic } from '../atomic-write.js';
import { SITE_SCRIPT } from './site-script.js';

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>convscope atlas</title>
    <link rel="stylesheet" href="atlas.css" />
  </head>
  <body>
    <header>
      <h1>convscope atlas</h1>
      <span class="model-info" id="model"></span>
      <span class="badge" id="progress"></span>
    </header>
    <nav id="layers" class="layer-nav"></nav>
    <main id="content"></main>
    <script src="atlas-data.js"></script>
    <!-- workbench.js is empty here; \`convscope serve --atlas\` serves one that links to the live view. -->
    <script src="workbench.js"></script>
    <script src="atlas.js"></script>
  </body>
</html>
`;

const STYLE = `:root {
  --bg: #f7f7f5;
  --panel: #fff;
  --ink: #1d1d1f;
  --muted: #6b6b70;
  --accent: #2b7de9;
  --line: #ddd;
  font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif;
  color: var(--ink);
  background: var(--bg);
}
body { margin: 0; }
header {
  display: flex; align-items: center; gap: 16px; flex-wrap: wrap;
  padding: 8px 16px; background: var(--panel); border-bottom: 1px solid var(--line);
}
header h1 { font-size: 18px; margin: 0; }
.model-info, .muted { color: var(--muted); font-size: 12px; }
.badge { margin-left: auto; padding: 2px 8px; border-radius: 10px; background: #e8eefb; font-size: 12px; }
.layer-nav { display: flex; gap: 4px; flex-wrap: wrap; padding: 8px 16px; border-bottom: 1px solid var(--line); }
.layer-link { padding: 4px 10px; border-radius: 6px; color: var(--ink); text-decoration: none; }
.layer-link.active { background: var(--accent); color: #fff; }
main { padding: 16px; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 13px; margin: 0 0 8px; }
a { color: var(--accent); }
.layer-card, .panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin-bottom: 12px;
}
.tiles { display: flex; flex-wrap: wrap; gap: 6px; }
.unit-tile { display: flex; flex-direction: column; align-items: center; text-decoration: none; color: var(--ink); }
.unit-tile.dead .caption { color: #b00; }
.caption { font-size: 11px; }
img.px { image-rendering: pixelated; background: #eee; display: block; }
img.thumb { width: 72px; height: 72px; }
img.big { width: 224px; height: 224px; }
img.kernel { width: 224px; height: auto; }
img.patch-img { width: 72px; height: 72px; }
.missing { display: inline-block; width: 72px; height: 72px; background: #eee; color: var(--muted); font-size: 11px; }
.unit-view { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
.unit-links { display: flex; gap: 12px; margin-bottom: 12px; }
.live-link { font-weight: 600; }
.stats th { text-align: left; font-weight: normal; color: var(--muted); padding-right: 12px; }
.patch-grid { display: grid; grid-template-columns: repeat(3, max-content); gap: 8px; }
.patch { margin: 0; }
.pair { display: flex; gap: 2px; }
figcaption { font-size: 11px; color: var(--muted); max-width: 146px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.error { background: #fdecea; border: 1px solid #f5c2c0; padding: 12px; border-radius: 8px; }
`;

/** The script `serve --atlas` replaces with the workbench's address (here: no workbench). */
export const WORKBENCH_SCRIPT = 'workbench.js';
const WORKBENCH_STUB = '// No workbench: the site was opened from disk or a static host.\n';

/** What `serve --atlas` sends as workbench.js: the live view's address and model. */
export const workbenchScript = (url: string, model?: string): string =>
  `window.CONVSCOPE_WORKBENCH = ${JSON.stringify({ url, ...(model ? { model } : {}) })};\n`;

/** Writes index.html, atlas.css and atlas.js into the site (each atomically). */
export async function writeSiteAssets(siteDir: string): Promise<void> {
  await writeBytesAtomic(path.join(siteDir, 'index.html'), INDEX_HTML);
  await writeBytesAtomic(path.join(siteDir, 'atlas.css'), STYLE);
  await writeBytesAtomic(path.join(siteDir, 'atlas.js'), SITE_SCRIPT);
  await writeBytesAtomic(path.join(siteDir, WORKBENCH_SCRIPT), WORKBENCH_STUB);
}
