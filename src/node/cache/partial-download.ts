/**
 * The bytes of an unfinished download, kept so that a later run can resume it. `FILE.part`
 * holds what was received, `FILE.part.json` a checkpoint: how many bytes, their SHA-256, the
 * size and hash of the whole file they belong to and the server's validators (ETag,
 * Last-Modified). A later run resumes only when the checkpoint names the same file and the
 * first bytes still hash to the recorded value (anything past the checkpoint is cut off);
 * otherwise both files are removed and the download starts over. Only files with a known hash
 * are kept (the final check is what makes a resumed file trustworthy); others, and downloads
 * another live process is writing, use a private `FILE.PID.TIME.part` that is removed on
 * failure (or swept later, see cache-sweep.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ZooFile } from '../../core/models/zoo.js';

/** Bytes between two checkpoints. */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;

interface Checkpoint {
  /** Size and hash of the whole file these bytes begin. */
  bytes?: number;
  hash: string;
  received: number;
  sha256: string;
  pid: number;
  url: string;
  validator?: string;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function hashPrefix(file: string, bytes: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (bytes > 0) {
    for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) {
      hash.update(chunk as Buffer);
    }
  }
  return hash;
}

export class PartialDownload {
  /** Bytes received and written so far. */
  received = 0;
  /** Bytes a resumed download started from (0 for a fresh one). */
  resumedFrom = 0;
  /** ETag or Last-Modified of the response the bytes came from (sent as If-Range). */
  validator?: string;
  /** Why an earlier partial download was thrown away, if it was. */
  discarded?: string;
  private hash = createHash('sha256');
  private handle: FileHandle | null = null;
  private checkpointed = 0;

  private constructor(
    readonly part: string,
    /** The checkpoint file; null when these bytes are not kept for later. */
    readonly meta: string | null,
    private readonly url: string,
    private readonly expect: Pick<ZooFile, 'bytes' | 'hash'> | undefined,
  ) {}

  /** True when the bytes outlive a failure (a checkpoint, a known hash). */
  get keepable(): boolean {
    return this.meta !== null && this.received > 0;
  }

  /**
   * The partial download of `dest`: resumed when a checked-out one is there, else empty.
   * @example const partial = await PartialDownload.open(dest, url, { bytes, hash });
   */
  static async open(
    dest: string,
    url: string,
    expect: Pick<ZooFile, 'bytes' | 'hash'> | undefined,
  ): Promise<PartialDownload> {
    const part = `${dest}.part`;
    const meta = `${part}.json`;
    const privatePart = () =>
      new PartialDownload(`${dest}.${process.pid}.${Date.now()}.part`, null, url, expect);
    if (!expect?.hash) return privatePart().start();
    const saved = await readFile(meta, 'utf8')
      .then((text) => JSON.parse(text) as Checkpoint)
      .catch(() => null);
    if (saved && saved.pid !== process.pid && alive(saved.pid)) return privatePart().start();
    const partial = new PartialDownload(part, meta, url, expect);
    const size = (await stat(part).catch(() => null))?.size;
    if (size === undefined && !saved) return partial.start();
    const problem = await partial.checkResumable(saved, size);
    if (problem) {
      partial.discarded = problem;
      await rm(part, { force: true });
      await rm(meta, { force: true });
    }
    return partial.start();
  }

  private async checkResumable(
    saved: Checkpoint | null,
    size: number | undefined,
  ): Promise<string | null> {
    const expectHash = this.expect?.hash?.value.toLowerCase();
    if (!saved || typeof saved.received !== 'number') return 'it had no readable checkpoint';
    if (saved.hash !== expectHash || saved.bytes !== this.expect?.bytes) {
      return 'it belongs to another version of the file';
    }
    if (size === undefined || size < saved.received) return 'it is shorter than its checkpoint';
    if (this.expect?.bytes !== undefined && saved.received > this.expect.bytes) {
      return 'it is longer than the file';
    }
    const hash = await hashPrefix(this.part, saved.received);
    if (hash.copy().digest('hex') !== saved.sha256) return 'its bytes changed since';
    await truncate(this.part, saved.received);
    this.hash = hash;
    this.received = this.resumedFrom = this.checkpointed = saved.received;
    this.validator = saved.validator;
    return null;
  }

  private async start(): Promise<this> {
    this.handle = await open(this.part, 'a');
    if (this.meta) await this.checkpoint();
    return this;
  }

  /** Drops the bytes so far (the server sent the whole file again). */
  async restart(validator?: string): Promise<void> {
    await this.handle?.truncate(0);
    this.hash = createHash('sha256');
    this.received = this.checkpointed = 0;
    this.validator = validator;
  }

  /** Appends a chunk, checkpointing every few MB. */
  async append(chunk: Uint8Array): Promise<void> {
    await this.handle!.write(chunk);
    this.hash.update(chunk);
    this.received += chunk.byteLength;
    if (this.meta && this.received - this.checkpointed >= CHECKPOINT_BYTES) await this.checkpoint();
  }

  private state(): string {
    const state: Checkpoint = {
      bytes: this.expect?.bytes,
      hash: this.expect?.hash?.value.toLowerCase() ?? '',
      received: this.received,
      sha256: this.hash.copy().digest('hex'),
      pid: process.pid,
      url: this.url,
      validator: this.validator,
    };
    return JSON.stringify(state);
  }

  private async checkpoint(): Promise<void> {
    const temporary = `${this.meta}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, this.state());
    await rename(temporary, this.meta!);
    this.checkpointed = this.received;
  }

  /** Closes the file; the part is then complete and can be verified and renamed. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }

  /** After a failure: keeps the bytes with a checkpoint when keepable, else removes them. */
  async finish(keep: boolean): Promise<void> {
    await this.close();
    if (keep && this.keepable) {
      await this.checkpoint();
      return;
    }
    await rm(this.part, { force: true });
    if (this.meta) await rm(this.meta, { force: true });
  }

  /** On a signal (no time for promises): the same as `finish(true)`; returns bytes kept. */
  finishSync(): number {
    if (this.keepable) {
      const temporary = `${this.meta}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(temporary, this.state());
      renameSync(temporary, this.meta!);
      return this.received;
    }
    rmSync(this.part, { force: true });
    if (this.meta) rmSync(this.meta, { force: true });
    return 0;
  }

  /** After a verified rename of the part: the checkpoint goes too. */
  async done(): Promise<void> {
    if (this.meta) await rm(this.meta, { force: true });
  }
}
