import { connect, type Socket } from 'node:net';

/** One HTTP/1.x response parsed from raw bytes. */
export interface RawResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  /** The response ended before its declared length (cut by the peer). */
  truncated: boolean;
}

/** What a raw exchange produced. */
export interface RawExchange {
  responses: RawResponse[];
  /** The server closed the connection (FIN or RST) before our timeout. */
  closed: boolean;
  /** Our read timeout fired with the connection still open. */
  timedOut: boolean;
  /** Everything received. */
  raw: Buffer;
  error?: string;
}

export function header(r: RawResponse, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Parses as many complete responses as `buf` holds (a trailing partial one is marked truncated if `ended`). */
export function parseResponses(buf: Buffer, ended: boolean, headRequest = false): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) break;
    const lines = buf.subarray(pos, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '');
    if (!m) break;
    const status = Number(m[1]);
    const headers = lines.slice(1).map((l): [string, string] => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    let p = headEnd + 4;
    const find = (n: string): string | undefined => headers.find(([k]) => k.toLowerCase() === n)?.[1];
    if (status < 200 || status === 204 || status === 304 || headRequest) {
      out.push({ status, headers, body: Buffer.alloc(0), truncated: false });
      pos = p;
      continue;
    }
    const cl = find('content-length');
    const te = find('transfer-encoding');
    if (te && /chunked/i.test(te)) {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le < 0) break;
        const size = Number.parseInt(buf.subarray(p, le).toString('latin1'), 16);
        if (!Number.isFinite(size)) break;
        if (size === 0) {
          const end = buf.indexOf('\r\n\r\n', le);
          if (end < 0) break;
          p = end + 4;
          complete = true;
          break;
        }
        if (le + 2 + size + 2 > buf.length) break;
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
      }
      out.push({ status, headers, body: Buffer.concat(parts), truncated: !complete });
      if (!complete) return out;
      pos = p;
    } else if (cl !== undefined) {
      const n = Number(cl);
      const body = buf.subarray(p, Math.min(buf.length, p + n));
      out.push({ status, headers, body, truncated: body.length < n });
      if (body.length < n) return out;
      pos = p + n;
    } else {
      // Close-delimited: the rest of the stream is the body.
      out.push({ status, headers, body: buf.subarray(p), truncated: !ended });
      return out;
    }
  }
  return out;
}

export interface RawOptions {
  host?: string;
  /** Stop waiting after this long with no close (default 5 s). */
  timeoutMs?: number;
  /** Return as soon as this many complete responses arrived (default: wait for close or timeout). */
  responses?: number;
  /** The request was HEAD (no bodies in responses). */
  head?: boolean;
}

/** Sends raw bytes on a fresh connection and collects what comes back. */
export function rawExchange(port: number, payload: Buffer | string | Array<Buffer | string>, opts: RawOptions = {}): Promise<RawExchange> {
  return new Promise((resolveExchange) => {
    const chunks: Buffer[] = [];
    const sock: Socket = connect({ port, host: opts.host ?? '127.0.0.1' });
    let done = false;
    let error: string | undefined;
    const finish = (closed: boolean, timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      resolveExchange({ responses: parseResponses(raw, closed, opts.head), closed, timedOut, raw, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false, true), opts.timeoutMs ?? 5000);
    sock.on('connect', () => {
      for (const part of Array.isArray(payload) ? payload : [payload]) sock.write(part);
    });
    sock.on('data', (d) => {
      chunks.push(d);
      if (opts.responses !== undefined) {
        const got = parseResponses(Buffer.concat(chunks), false, opts.head).filter((r) => !r.truncated).length;
        if (got >= opts.responses) finish(false, false);
      }
    });
    sock.on('end', () => finish(true, false));
    sock.on('close', () => finish(true, false));
    sock.on('error', (e) => {
      error = (e as NodeJS.ErrnoException).code ?? e.message;
      finish(true, false);
    });
  });
}

/** A plain good GET over a fresh connection; resolves the status (0 on failure). */
export async function goodRequest(port: number, path = '/', timeoutMs = 5000): Promise<number> {
  const ex = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, { timeoutMs, responses: 1 });
  return ex.responses[0]?.status ?? 0;
}
