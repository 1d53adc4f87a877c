import { connect } from 'node:net';

/** One response as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What came back on one connection. */
export interface Exchange {
  responses: RawResponse[];
  /** The server closed the connection (FIN or reset) before we gave up. */
  closed: boolean;
  /** Milliseconds from the last byte written to the close (or to giving up). */
  ms: number;
}

/** Splits `buf` into the complete responses it holds (Content-Length framed, as all of the servers' answers here are). */
function responsesIn(buf: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end === -1) return out;
    const lines = buf.toString('latin1', pos, end).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (buf.length < end + 4 + len) return out;
    out.push({ status, headers, body: buf.toString('utf8', end + 4, end + 4 + len) });
    pos = end + 4 + len;
  }
}

/**
 * Writes `bytes` on a fresh connection and reads until the server closes it,
 * or until `want` responses arrived (then waits `settleMs` for anything
 * unexpected and closes our side), or `limitMs` passed.
 */
export function exchange(port: number, bytes: Buffer, want: number | null, limitMs: number, settleMs = 150): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let wrote = 0;
    let settled: NodeJS.Timeout | null = null;
    let finished = false;
    const finish = (closed: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(limit);
      if (settled !== null) clearTimeout(settled);
      sock.destroy();
      resolve({ responses: responsesIn(buf), closed, ms: Date.now() - wrote });
    };
    const limit = setTimeout(() => finish(false), limitMs);
    sock.on('connect', () => {
      sock.write(bytes, () => {
        wrote = Date.now();
      });
      wrote = Date.now();
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (want !== null && settled === null && responsesIn(buf).length >= want) settled = setTimeout(() => finish(false), settleMs);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('end', () => finish(true));
  });
}

/** For bytes that end mid-message: nothing may come back; after our FIN the server must close without an answer. */
export function incompleteExchange(port: number, bytes: Buffer, quietMs: number, limitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let wrote = 0;
    let finished = false;
    const finish = (closed: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(limit);
      sock.destroy();
      resolve({ responses: responsesIn(buf), closed, ms: Date.now() - wrote });
    };
    const limit = setTimeout(() => finish(false), limitMs);
    sock.on('connect', () => {
      sock.write(bytes);
      wrote = Date.now();
      setTimeout(() => sock.end(), quietMs);
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('end', () => finish(true));
  });
}
