/**
 * `maximize`'s `yieldControl` in Node: one turn of the event loop between steps, so progress
 * output, worker messages and signals get through during a long run.
 */

/** Resolves after pending I/O callbacks have run (setImmediate). */
export const eventTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
