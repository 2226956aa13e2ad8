/**
 * Safe mapping from request paths to files. A request path is split on `/` before it is
 * decoded (so `%2f` can never make a separator) and each segment is decoded exactly once
 * (`%252e%252e` stays the literal name `%2e%2e`); segments that are `.` or `..`, contain a slash,
 * a backslash or NUL, or cannot be decoded are rejected with 400. A file is then served only
 * when its real path (symlinks resolved) lies inside the real path of its root, it is a regular
 * file, no segment is a dotfile, and the root's allow-list (if any) accepts it: a symlink in a
 * root that points outside it is a 404, as is anything else that is not there.
 */
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from './responses.js';

/** A directory served under some URL prefix. */
export interface StaticRoot {
  dir: string;
  /** Accepts a relative path (`/`-separated segments); absent: every file is served. */
  allow?: (relative: string) => boolean;
}

/** A file found inside a root. */
export interface FoundFile {
  file: string;
  stats: Stats;
}

/**
 * The decoded segments of a raw request target (`req.url`), empty segments dropped.
 *
 * @example pathSegments('/models/zoo/vgg16/model.json?x=1') // ['models', 'zoo', 'vgg16', 'model.json']
 * @throws HttpError 400 for traversal attempts and malformed escapes.
 */
export function pathSegments(rawUrl: string): string[] {
  if (!rawUrl.startsWith('/')) {
    throw new HttpError(400, 'the request path must start with /');
  }
  const end = rawUrl.search(/[?#]/);
  const rawPath = end === -1 ? rawUrl : rawUrl.slice(0, end);
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, 'malformed percent-encoding in the request path');
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
      throw new HttpError(400, 'the request path may not leave its folder');
    }
    segments.push(segment);
  }
  return segments;
}

/** True when `child` is `parent` or lies below it (both absolute, normalized). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The regular file that `segments` name inside `root`, or null when there is none (or it is
 * outside the root through a symlink, a dotfile, or not allowed).
 */
export async function resolveInRoot(
  root: StaticRoot,
  segments: readonly string[],
): Promise<FoundFile | null> {
  if (segments.length === 0) return null;
  if (segments.some((s) => s.startsWith('.'))) return null;
  if (root.allow && !root.allow(segments.join('/'))) return null;
  const base = await realpath(root.dir).catch(() => null);
  if (!base) return null;
  const real = await realpath(path.join(base, ...segments)).catch(() => null);
  if (!real || real === base || !isInside(base, real)) return null;
  const stats = await stat(real).catch(() => null);
  if (!stats?.isFile()) return null;
  return { file: real, stats };
}
