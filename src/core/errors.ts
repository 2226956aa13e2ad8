/**
 * Errors that reach a person. Every ConvscopeError says what is wrong and, in `hint`, what to
 * do about it; the CLI prints `message` (and the hint) on one line and exits non-zero, the
 * web app shows it in an error panel. Anything else that is thrown is a bug.
 */
export class ConvscopeError extends Error {
  /** What the user can do about it, e.g. "see `convscope layers`". */
  readonly hint?: string;

  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConvscopeError';
    this.hint = hint;
  }
}

/** Formats a list of names for an error message, eliding the middle of long lists. */
export function listForMessage(names: readonly string[], max = 40): string {
  if (names.length <= max) return names.join(', ');
  const head = names.slice(0, max - 5);
  const tail = names.slice(-5);
  return `${head.join(', ')}, ... (${names.length - max} more), ${tail.join(', ')}`;
}
