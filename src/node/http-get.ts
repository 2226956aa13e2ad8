/**
 * HTTP(S) GET for Node with the timeouts that `fetch` lacks: a connect timeout (no TCP
 * connection within the limit) and an idle timeout (no byte from the server within the limit,
 * before the headers or between two chunks of the body), both `CONVSCOPE_TIMEOUT` seconds
 * (default 30). Every failure is a NetworkError, a ConvscopeError whose message names the URL
 * and says in words what happened ("connection refused", "connect timed out after 30 s",
 * "no response within 30 s", "stalled: no data for 30 s"); `reason` holds those words for
 * callers that phrase their own message. Redirects are followed (at most 5).
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { ConvscopeError } from '../core/errors.js';

/** The default for both timeouts, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A network failure, in words; `timedOut` tells a timeout from a refusal or a reset. */
export class NetworkError extends ConvscopeError {
  readonly url: string;
  readonly reason: string;
  readonly timedOut: boolean;

  constructor(url: string, reason: string, timedOut = false, hint?: string) {
    super(
      `cannot download ${url}: ${reason}`,
      hint ??
        (timedOut
          ? 'check the server and the network, or wait longer with CONVSCOPE_TIMEOUT=SECONDS'
          : 'check the URL, the server and the network'),
    );
    this.name = 'NetworkError';
    this.url = url;
    this.reason = reason;
    this.timedOut = timedOut;
  }
}

/** `CONVSCOPE_TIMEOUT` in seconds (default 30); anything but a positive number is an error. */
export function timeoutSeconds(env: Record<string, string | undefined> = process.env): number {
  const raw = env.CONVSCOPE_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ConvscopeError(
      `CONVSCOPE_TIMEOUT must be a positive number of seconds, not '${raw}'`,
      `e.g. CONVSCOPE_TIMEOUT=60, or unset it for the default of ${DEFAULT_TIMEOUT_SECONDS} s`,
    );
  }
  return seconds;
}

/** Socket error codes in words. */
const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (no network or DNS?)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed by the server',
};

/** A socket or TLS error in words. */
export function describeNetworkError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code && CODES[code]) return CODES[code];
  if (message === 'aborted' || message === 'socket hang up') return 'connection closed early';
  return code && message && !message.includes(code)
    ? `${code}: ${message}`
    : (message ?? code ?? String(error));
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** A response header (lower-case name), null when absent. */
  header(name: string): string | null;
  /** The body, chunk by chunk; a stall or a cut throws a NetworkError. */
  body: AsyncIterable<Uint8Array>;
  /** The whole body. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Drops the connection (an unread body). */
  cancel(): void;
}

export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Connect and idle timeout in milliseconds (default: CONVSCOPE_TIMEOUT). */
  timeoutMs?: number;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

function wrapBody(response: http.IncomingMessage, url: string): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of response as Readable) yield chunk as Uint8Array;
      } catch (error) {
        throw error instanceof NetworkError
          ? error
          : new NetworkError(url, describeNetworkError(error));
      }
    },
  };
}

function request(
  target: URL,
  url: string,
  options: HttpGetOptions,
  timeoutMs: number,
  redirects: number,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new NetworkError(url, `unsupported protocol ${target.protocol}`));
      return;
    }
    const get = target.protocol === 'https:' ? https.get : http.get;
    const headers = { 'user-agent': 'convscope', ...options.headers };
    // agent: false gives every request its own socket, so the timers below are this request's.
    const req = get(target, { headers, agent: false });
    let response: http.IncomingMessage | null = null;
    const connectTimer = setTimeout(() => {
      req.destroy(new NetworkError(url, `connect timed out after ${seconds(timeoutMs)}`, true));
    }, timeoutMs);
    req.on('socket', (socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        socket.setTimeout(timeoutMs, () => {
          if (response) {
            response.destroy(
              new NetworkError(url, `stalled: no data for ${seconds(timeoutMs)}`, true),
            );
          } else {
            req.destroy(new NetworkError(url, `no response within ${seconds(timeoutMs)}`, true));
          }
        });
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.on('error', (error) => {
      clearTimeout(connectTimer);
      reject(
        error instanceof NetworkError ? error : new NetworkError(url, describeNetworkError(error)),
      );
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location) {
        res.destroy();
        if (redirects <= 0) reject(new NetworkError(url, 'too many redirects'));
        else resolve(request(new URL(location, target), url, options, timeoutMs, redirects - 1));
        return;
      }
      response = res;
      // Errors reach the reader through `body`; this keeps an unread, timed-out body quiet.
      res.on('error', () => undefined);
      const body = wrapBody(res, url);
      resolve({
        status,
        statusText: res.statusMessage ?? '',
        header(name) {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : (value ?? null);
        },
        body,
        async arrayBuffer() {
          const chunks: Uint8Array[] = [];
          for await (const chunk of body) chunks.push(chunk);
          const whole = Buffer.concat(chunks);
          return whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength);
        },
        cancel: () => res.destroy(),
      });
    });
  });
}

/**
 * GETs `url` with a connect and an idle timeout.
 * @example const response = await httpGet(url, { headers: { range: 'bytes=100-' } });
 */
export function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new NetworkError(url, 'not a valid URL', false, 'check the URL'));
  }
  const timeoutMs = options.timeoutMs ?? timeoutSeconds() * 1000;
  return request(target, url, options, timeoutMs, 5);
}

/** A `fetch`-shaped wrapper for code that takes one (core's fetchBytes). */
export function timedFetch(timeoutMs?: number) {
  return async (url: string) => {
    const response = await httpGet(url, { timeoutMs });
    const ok = response.status >= 200 && response.status < 300;
    if (!ok) response.cancel();
    return {
      ok,
      status: response.status,
      statusText: response.statusText,
      arrayBuffer: () => (ok ? response.arrayBuffer() : Promise.resolve(new ArrayBuffer(0))),
    };
  };
}
