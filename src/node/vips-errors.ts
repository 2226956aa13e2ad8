/**
 * libvips (under sharp) keeps one error buffer for the whole process: when two decodes fail at
 * the same time, one gets both messages and the other "Unknown error" (8 truncated PNGs and
 * JPEGs decoded at once: half said "Unknown error", a PNG said "premature end of JPEG image").
 * Decodes run here concurrently as usual; one that fails is run again alone (after the
 * decodes in flight settle, before new ones start), so its error is its own.
 */

let gate: Promise<unknown> = Promise.resolve();
const running = new Set<Promise<unknown>>();

const settle = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

/** Runs `work` once no retry is running alone. */
async function shared<T>(work: () => Promise<T>): Promise<T> {
  for (let current = gate; ; current = gate) {
    await settle(current);
    if (current === gate) break;
  }
  const promise = work();
  running.add(promise);
  try {
    return await promise;
  } finally {
    running.delete(promise);
  }
}

/** Runs `work` after every decode in flight settles, holding new ones back until it ends. */
function alone<T>(work: () => Promise<T>): Promise<T> {
  const previous = gate;
  const promise = (async () => {
    await settle(previous);
    await Promise.all([...running].map(settle));
    return work();
  })();
  gate = promise;
  return promise;
}

/**
 * `decode()`, with its own libvips error when it fails (retried alone once; a retry that
 * succeeds returns its result).
 *
 * @example const pixels = await withOwnError(() => sharp(file).raw().toBuffer());
 */
export async function withOwnError<T>(decode: () => Promise<T>): Promise<T> {
  try {
    return await shared(decode);
  } catch {
    return alone(decode);
  }
}
