/**
 * A small cache of tensors derived from constant tensors (e.g. a conv kernel flipped and
 * transposed for the fast input gradient), keyed by the source tensor's data id. Model weights
 * keep their data id across steps, so the derived kernel is built once, not on every step.
 *
 * Data ids are fresh objects for every new tensor value (a Variable that is assigned gets a new
 * one), so a key can never map to stale values. Entries whose source is gone cannot be detected
 * cheaply, so the cache holds at most `maxBytes` and disposes the least recently used entries
 * first. `clear()` frees everything (call it before counting tensors in leak tests).
 */
import * as tf from '@tensorflow/tfjs';

interface Entry {
  derived: tf.Tensor;
  bytes: number;
}

export class DerivedTensorCache {
  private readonly entries = new Map<object, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Returns `derive(source)`, computed once per source value. Do not dispose the result. */
  get(source: tf.Tensor, derive: (source: tf.Tensor) => tf.Tensor): tf.Tensor {
    const key = source.dataId as object;
    const hit = this.entries.get(key);
    if (hit && !hit.derived.isDisposed) {
      // Re-insert to mark as most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.derived;
    }
    const derived = tf.keep(tf.tidy(() => derive(source)));
    const entry: Entry = { derived, bytes: derived.size * 4 };
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    this.evict();
    return entry.derived;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    for (const entry of this.entries.values()) this.dispose(entry);
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || this.entries.size <= 1) break;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
      this.dispose(entry);
    }
  }

  private dispose(entry: Entry): void {
    entry.derived.dispose();
  }
}
