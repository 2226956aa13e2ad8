/**
 * Backend selection for Node. The default is tfjs' WASM backend (XNNPACK kernels, shipped as
 * .wasm files inside its npm package); `cpu` is the pure-JS fallback. `tfjs-node` is not used:
 * it downloads libtensorflow at install time.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ConvscopeError } from '../core/errors.js';
import { useFastGradients } from '../core/kernel-patches/register.js';

export const BACKENDS = ['wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

// tfjs prints a banner recommending tfjs-node on first use of the cpu backend in Node; that
// package downloads libtensorflow and cannot install here. PROD mode silences tfjs' warnings.
tf.env().set('PROD', true);

/**
 * Activates a backend (default wasm, falling back to cpu with a warning when wasm cannot start)
 * and installs the fast convolution gradients. Returns the backend actually in use.
 */
export async function initBackend(
  name: string = 'wasm',
  warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<BackendName> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new ConvscopeError(`unknown backend '${name}'`, `use one of: ${BACKENDS.join(', ')}`);
  }
  useFastGradients();
  if (tf.getBackend() === name) return name as BackendName;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch {
    ok = false;
  }
  if (!ok) {
    if (name === 'cpu') throw new ConvscopeError('the cpu backend failed to start');
    warn(`warning: the ${name} backend failed to start; falling back to cpu (slower)`);
    await tf.setBackend('cpu');
    return 'cpu';
  }
  await tf.ready();
  return name as BackendName;
}
