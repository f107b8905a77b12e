/**
 * A raw HTTP server on `node:net` for transport fault tests: each connection's request head is
 * read, then the test's handler writes whatever bytes it likes (HTTP/1.0 answers, EOF-delimited
 * bodies, resets mid-body, bodies longer than declared). Nothing here parses or frames HTTP for
 * the handler, so the bytes on the wire are exactly the test's.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** The request as the raw server read it (head only, plus any body bytes that came with it). */
export interface RawRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body bytes read so far (the whole body when it has a Content-Length). */
  body: Buffer;
}

/** Writes an answer to `socket` for `req`. */
export type RawHandler = (req: RawRequest, socket: net.Socket) => void;

/** A running raw server. */
export interface RawServer {
  url: string;
  /** Every request received, in order. */
  requests: RawRequest[];
  close(): Promise<void>;
}

/** Starts a raw server on 127.0.0.1 (random port). */
export async function startRawServer(handler: RawHandler): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // The client may drop the connection at any point: that is the test's business, not a crash.
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [line, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const want = Number(headers['content-length'] ?? 0);
      const body = buf.subarray(end + 4);
      if (body.length < want) return;
      socket.off('data', onData);
      const [method = '', path = ''] = (line ?? '').split(' ');
      const req = { method, path, headers, body };
      requests.push(req);
      handler(req, socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A status line and headers, ready to write (`head('HTTP/1.0 200 OK', {...})`). */
export function head(statusLine: string, headers: Record<string, string | number>): string {
  return `${statusLine}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}
