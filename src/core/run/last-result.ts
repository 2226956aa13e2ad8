/**
 * The one way to drain `maximize`'s generator: pass every frame to `onFrame` (progress bars,
 * live tiles, worker frames) and return the result the last frame carries. Callers that only
 * want the result pass no `onFrame`.
 */

/**
 * The `result` of the last frame that has one, after calling `onFrame` on every frame.
 * @example const result = await lastResult(maximize(model, objectives, settings, { seed }));
 */
export async function lastResult<F extends { result?: unknown }>(
  frames: AsyncIterable<F>,
  onFrame?: (frame: F) => void | Promise<void>,
): Promise<NonNullable<F['result']>> {
  let result: F['result'] | undefined;
  for await (const frame of frames) {
    await onFrame?.(frame);
    if (frame.result) result = frame.result;
  }
  if (!result) throw new Error('the optimization ended without a result');
  return result as NonNullable<F['result']>;
}
