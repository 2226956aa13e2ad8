/**
 * `node --import tsx scripts/engine-chart.ts BENCH.json OUT.png`: draws `npm run bench -- --json`
 * output as a bar chart (TF.js WASM, ONNX Runtime and PyTorch per case, each as its speed
 * relative to PyTorch, so longer is faster whatever the unit), for the README.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { writeBytesAtomic } from '../src/node/atomic-write.js';
import { escapeXml } from '../src/node/grid-png.js';

interface Row {
  case: string;
  value: number;
  unit: string;
  onnx?: number;
  pytorch?: number;
}

const ENGINES = [
  { key: 'value', label: 'convscope, TF.js WASM', color: '#9aa5b1' },
  { key: 'onnx', label: 'convscope, ONNX Runtime', color: '#2f7ed8' },
  { key: 'pytorch', label: 'PyTorch 1.13', color: '#e4572e' },
] as const;

/** Speed relative to PyTorch (time units inverted). */
const speed = (row: Row, value: number) =>
  row.unit.startsWith('ms') ? row.pytorch! / value : value / row.pytorch!;

async function main(): Promise<void> {
  const [input, out] = process.argv.slice(2);
  const rows = (JSON.parse(await readFile(input, 'utf8')) as Row[]).filter(
    (r) => r.pytorch !== undefined && r.onnx !== undefined,
  );
  const barHeight = 16;
  const groupHeight = barHeight * ENGINES.length + 22;
  const left = 210;
  const width = 760;
  const plot = width - left - 170;
  const top = 58;
  const height = top + rows.length * groupHeight + 20;
  const largest = Math.max(...rows.flatMap((r) => [speed(r, r.value), speed(r, r.onnx!), 1]));
  const parts: string[] = [
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">VGG16 (random weights), 2-core VM: speed relative to PyTorch (longer is faster)</text>`,
  ];
  ENGINES.forEach((e, i) => {
    const x = 12 + i * 240;
    parts.push(`<rect x="${x}" y="34" width="12" height="12" fill="${e.color}"/>`);
    parts.push(`<text x="${x + 16}" y="45" font-size="12">${escapeXml(e.label)}</text>`);
  });
  rows.forEach((row, g) => {
    const y0 = top + g * groupHeight;
    parts.push(
      `<text x="${left - 8}" y="${y0 + 28}" font-size="12" text-anchor="end">${escapeXml(row.case)}</text>`,
    );
    ENGINES.forEach((e, i) => {
      const value = row[e.key]!;
      const relative = e.key === 'pytorch' ? 1 : speed(row, value);
      const w = Math.max(1, (relative / largest) * plot);
      const y = y0 + i * barHeight;
      const shown = `${value >= 100 ? Math.round(value).toLocaleString('en') : value.toPrecision(3)} ${row.unit} (${relative.toFixed(2)}x)`;
      parts.push(
        `<rect x="${left}" y="${y}" width="${w}" height="${barHeight - 3}" fill="${e.color}"/>`,
      );
      parts.push(
        `<text x="${left + w + 4}" y="${y + barHeight - 5}" font-size="11">${escapeXml(shown)}</text>`,
      );
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="sans-serif" fill="#222">${parts.join('')}</g></svg>`;
  await writeBytesAtomic(out, await sharp(Buffer.from(svg)).png().toBuffer());
}

await main();
