import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { serve, validator, type App, type RunningServer, type ServerOptions } from '@tsgi/gateway';

/** A parsed HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  status: number;
  reason: string;
  /** Lower-cased names; repeated fields keep every value. */
  headers: Map<string, string[]>;
  /** The body after de-chunking (empty for HEAD). */
  body: Buffer;
  /** The bytes as received, head included. */
  raw: Buffer;
  header(name: string): string | undefined;
}

/**
 * Serves `app` on 127.0.0.1:0 behind the gateway validator, so every test
 * also proves the middleware's output follows the interface rules: a rule
 * broken anywhere fails the test at cleanup. Closed when the test ends.
 */
export async function start(t: TestContext, app: App, options: ServerOptions = {}): Promise<RunningServer & { violations: string[] }> {
  const violations: string[] = [];
  // forwardedAllowIps: [] so the server itself believes no X-Forwarded-Proto:
  // what a test sees of forwarded headers is proxyFix's doing alone.
  const running = await serve(validator(app, { log: (line) => violations.push(line) }), { port: 0, forwardedAllowIps: [], ...options });
  t.after(async () => {
    await running.close(200);
    if (violations.length > 0) throw new Error(`interface violations:\n${violations.join('\n')}`);
  });
  return Object.assign(running, { violations });
}

/** The inner app is validated too: what the middleware hands it must be a valid environ. */
export function checked(app: App, violations: string[]): App {
  return validator(app, { log: (line) => violations.push(line) });
}

/** Sends raw bytes and reads until the server closes the connection. */
export function rawExchange(port: number, bytes: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.write(bytes);
  });
}

/** One request with `Connection: close`; `target` is sent exactly as given. */
export async function request(
  port: number,
  target: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const method = opts.method ?? 'GET';
  const headers = { Host: `127.0.0.1:${port}`, Connection: 'close', ...opts.headers };
  if (opts.body !== undefined) (headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(opts.body));
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  const raw = await rawExchange(port, Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), Buffer.from(opts.body ?? '')]));
  return parseResponse(raw, method === 'HEAD');
}

export function parseResponse(raw: Buffer, head = false): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(raw.toString('latin1'))}`);
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
  if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  let body = raw.subarray(end + 4);
  const status = Number(m[1]);
  if (head || status === 204 || status === 304) body = Buffer.alloc(0);
  else if (headers.get('transfer-encoding')?.[0] === 'chunked') body = dechunk(body);
  else if (headers.has('content-length')) body = body.subarray(0, Number(headers.get('content-length')![0]));
  return {
    status,
    reason: m[2],
    headers,
    body,
    raw,
    header: (name: string) => headers.get(name.toLowerCase())?.join(', '),
  };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', pos);
    if (eol === -1) throw new Error('truncated chunked body');
    const size = parseInt(data.subarray(pos, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(out);
    out.push(data.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

/** An open connection read incrementally, for streaming assertions. */
export class StreamingClient {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (c) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    this.socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get received(): Buffer {
    return this.buf;
  }

  /** Resolves once `predicate(received)` holds (or the connection closed). */
  async until(predicate: (b: Buffer) => boolean): Promise<Buffer> {
    while (!predicate(this.buf) && !this.ended) await new Promise<void>((r) => this.waiters.push(r));
    return this.buf;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A response chunk as bytes. */
export const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** A promise with its resolver, for apps that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
