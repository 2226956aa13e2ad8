/**
 * Redis connections for the BullMQ queue: the URL a person gives (`--queue`, `--redis`) is
 * checked for its scheme and handed to ioredis as is, so a password (`redis://:PASS@host`),
 * a user, a database number (`/2`) and TLS (`rediss://`) pass straight through. Every BullMQ
 * object gets its own client (blocking commands need one each). Messages never show the
 * password: `redactUrl` replaces it. `checkRedis` fails fast, with a message that names the fix,
 * when Redis is not there, instead of ioredis' endless reconnecting.
 */
import { Redis } from 'ioredis';
import { ConvscopeError } from '../../core/errors.js';
import { PACKAGE } from '../package-info.js';

/**
 * The queue's name: one per release, so that workers never run shards for a submitter of
 * another version (results could differ) and a mixed fleet waits instead of mixing.
 */
export const QUEUE_NAME = `convscope-${PACKAGE.version.replace(/\./g, '_')}`;

/** The URL checked: redis:// or rediss:// with a host. */
export function checkRedisUrl(url: string, option = '--queue'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConvscopeError(
      `${option} takes a Redis URL, got '${url}'`,
      'e.g. redis://127.0.0.1:6379, redis://:PASSWORD@host:6379/0 or rediss://host:6380 (TLS)',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConvscopeError(
      `${option} takes a redis:// or rediss:// URL, got '${redactUrl(url)}'`,
      'e.g. redis://127.0.0.1:6379 (rediss:// for TLS)',
    );
  }
  if (!parsed.hostname) {
    throw new ConvscopeError(`${option} URL '${redactUrl(url)}' names no host`);
  }
  return url;
}

/** The URL with its password replaced by `***` (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparsable URL>';
  }
}

/** A client for a BullMQ object: `maxRetriesPerRequest: null`, as BullMQ requires. */
export function redisClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  // Reconnects are ioredis' job; an 'error' without a listener would crash the process.
  client.on('error', () => undefined);
  return client;
}

/** Why a connection failed, in words. */
function reason(error: Error & { code?: string }): string {
  const text = error.message ?? String(error);
  if (error.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)) return 'connection refused';
  if (error.code === 'ENOTFOUND' || /ENOTFOUND/.test(text)) return 'unknown host';
  if (/NOAUTH/i.test(text)) return 'Redis asks for a password (put it in the URL)';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) {
    return 'wrong password or user';
  }
  if (/ETIMEDOUT|timed? ?out/i.test(text)) return 'connect timed out';
  return text;
}

/**
 * Connects once and pings, within `timeoutMs`: a ConvscopeError naming the URL (without its
 * password) and the reason when Redis is not reachable or refuses the password.
 *
 * @example await checkRedis('redis://127.0.0.1:6379', '--queue');
 */
export async function checkRedis(url: string, option = '--queue', timeoutMs = 5000): Promise<void> {
  checkRedisUrl(url, option);
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // A refused password closes the connection: the reason is in the 'error' event before it.
  let first: Error | undefined;
  probe.on('error', (error: Error) => (first ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new ConvscopeError(
      `cannot use Redis at ${redactUrl(url)}: ${reason(first ?? (error as Error))}`,
      `start redis-server there, or fix ${option}`,
    );
  } finally {
    probe.disconnect();
  }
}
