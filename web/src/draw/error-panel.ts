/**
 * The error panel: what went wrong and what to do, in the page, never a blank screen. Used
 * for failed model loads, undecodable images, diverged optimizations, and any uncaught error.
 */
import { h } from './dom.js';

export interface ShownError {
  message: string;
  hint?: string;
}

export function errorPanel(error: ShownError, onClose?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error-panel', role: 'alert' },
    h('strong', {}, 'Error: '),
    h('span', { class: 'error-message' }, error.message),
    error.hint ? h('div', { class: 'error-hint' }, error.hint) : null,
    onClose ? h('button', { class: 'close', onclick: onClose, title: 'dismiss' }, '×') : null,
  );
}

/** The message and hint of anything thrown. */
export function asShown(error: unknown): ShownError {
  if (error instanceof Error) {
    return { message: error.message, hint: (error as { hint?: string }).hint };
  }
  return { message: String(error) };
}
