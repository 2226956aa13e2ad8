/**
 * A local HTTP server on 127.0.0.1 for download tests, standing in for a mirror. The first
 * path segment picks a behaviour, the rest names the file: `/ok/<file>` serves it (honouring
 * `Range`), `/cut-once/<file>` cuts the connection halfway through the first response and
 * then behaves like `ok`, `/cut-norange/<file>` cuts once and then ignores `Range` (whole
 * file, 200), `/cut-always/<file>` always cuts, `/missing/<file>` answers 404. Servers that
 * stall (for timeout tests): `/hang/<file>` never answers, `/headers-only/<file>` sends the
 * headers and nothing more, `/one-byte/<file>` sends one byte and stalls, `/stall-half/<file>`
 * sends half the file and stalls (a Range request is answered like `ok`). Every request is
 * recorded (path and Range header).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: { path: string; range?: string }[];
  close(): Promise<void>;
}

/** Starts the server over `files` (path relative to the mirror root -> bytes). */
export async function startFileServer(files: Record<string, Uint8Array>): Promise<FileServer> {
  const requests: FileServer['requests'] = [];
  const cutDone = new Set<string>();
  const server = http.createServer((req, res) => {
    const [, mode, ...rest] = (req.url ?? '').split('/');
    const name = rest.join('/');
    const range = req.headers.range;
    requests.push({ path: req.url ?? '', range });
    const body = files[name];
    if (!body || mode === 'missing') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const stall = (bytes: number) => {
      res.writeHead(200, { 'content-length': body.byteLength, 'accept-ranges': 'bytes' });
      if (bytes > 0) res.write(body.subarray(0, bytes));
      else res.flushHeaders();
    };
    if (mode === 'hang') return;
    if (mode === 'headers-only') return stall(0);
    if (mode === 'one-byte') return stall(1);
    if (mode === 'stall-half' && !range) return stall(Math.floor(body.byteLength / 2));
    const key = `${mode}/${name}`;
    const cut = mode === 'cut-always' || (mode.startsWith('cut-') && !cutDone.has(key));
    if (cut) {
      cutDone.add(key);
      res.writeHead(200, { 'content-length': body.byteLength, 'accept-ranges': 'bytes' });
      res.write(body.subarray(0, Math.floor(body.byteLength / 2)), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    const match = /^bytes=(\d+)-$/.exec(range ?? '');
    if (match && mode !== 'cut-norange') {
      const start = Number(match[1]);
      res.writeHead(206, {
        'content-length': body.byteLength - start,
        'content-range': `bytes ${start}-${body.byteLength - 1}/${body.byteLength}`,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.byteLength }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
