import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IMAGE_PIXELS, loadImage } from './images.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-images-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 1-bit gray PNG of `width` x `height` black pixels (small on disk at any size). */
function blackPng(width: number, height: number, rows = height): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, gray, deflate, no filter, no interlace
  const raw = Buffer.alloc(rows * (1 + Math.ceil(width / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const SIZE = { height: 8, width: 8, channels: 1 };

describe('loadImage', () => {
  it('says a folder is a folder, not that it cannot be decoded', async () => {
    const folder = path.join(dir, 'a-folder');
    await mkdir(folder);
    await expect(loadImage(folder, SIZE)).rejects.toThrow(
      new RegExp(`^${folder} is a folder, not an image$`),
    );
  });

  it('decodes a 20000 x 20000 PNG and refuses one over the pixel limit, stating the limit', async () => {
    expect(MAX_IMAGE_PIXELS).toBe(2 ** 30);
    const big = path.join(dir, 'big.png');
    await writeFile(big, blackPng(20000, 20000));
    const pixels = await loadImage(big, SIZE);
    expect(pixels).toEqual(new Float32Array(64));
    // The header alone says 40000 x 40000: refused before any pixel is decoded.
    const bomb = path.join(dir, 'bomb.png');
    await writeFile(bomb, blackPng(40000, 40000, 1));
    await expect(loadImage(bomb, SIZE)).rejects.toThrow(
      `image ${bomb} is 40000x40000 px and exceeds the pixel limit of 1073741824 (2^30, e.g. 32768x32768)`,
    );
  });

  it("keeps each truncated file's own decoder error when many decode at once", async () => {
    const files: string[] = [];
    for (let i = 0; i < 8; i++) {
      const raw = Buffer.alloc(64 * 64 * 3).map((_, j) => (j * (i + 7)) % 251);
      const image = () => sharp(raw, { raw: { width: 64, height: 64, channels: 3 } });
      const png = await image().png().toBuffer();
      const jpeg = await image().jpeg().toBuffer();
      files.push(path.join(dir, `cut${i}.png`), path.join(dir, `cut${i}.jpg`));
      await writeFile(files[files.length - 2], png.subarray(0, png.length >> 1));
      await writeFile(files[files.length - 1], jpeg.subarray(0, jpeg.length >> 1));
    }
    const errors = await Promise.all(
      files.map((file) =>
        loadImage(file, SIZE).then(
          () => 'decoded',
          (e: Error) => e.message,
        ),
      ),
    );
    for (const [i, file] of files.entries()) {
      const reason = file.endsWith('.png')
        ? 'vipspng: libpng read error'
        : 'VipsJpeg: premature end of JPEG image';
      expect(errors[i]).toBe(`cannot decode image ${file}: ${reason}`);
    }
  });
});
