import { connect, type Socket } from 'node:net';

/** One parsed HTTP/1.x response as it came off the wire. */
export interface RawResponse {
  status: number;
  reason: string;
  /** Header fields in order, names lower-cased. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** The body's framing was complete (false: the connection ended first, or a chunked body had no last chunk). */
  complete: boolean;
  /** Statuses of 1xx responses that came before this one. */
  interim: number[];
}

export function header(res: RawResponse, name: string): string | undefined {
  const hit = res.headers.find(([n]) => n === name);
  return hit?.[1];
}

/**
 * A raw TCP client for checking a server byte by byte: the kit must send
 * requests no HTTP client library would (bad framing, odd paths) and see
 * exactly what came back, including responses cut short.
 */
export class RawConnection {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly deadline: number,
  ) {
    socket.on('data', (data: Buffer) => {
      this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connects to host:port; every later read fails after `timeoutMs` from now. */
  static open(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket, Date.now() + timeoutMs));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** True once the server closed (or reset) the connection and every byte was consumed. */
  get closed(): boolean {
    return this.ended && this.buf.length === 0;
  }

  /** The server ended the connection (bytes may still be unread). */
  get serverEnded(): boolean {
    return this.ended;
  }

  write(data: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Half-closes: the server sees the end of the request stream. */
  endWrite(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits for more bytes; false when the connection ended instead. */
  private async more(what: string): Promise<boolean> {
    if (this.ended) return false;
    const left = this.deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    const before = this.buf.length;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (this.buf.length === before && !this.ended) throw new Error(`timed out waiting for ${what}`);
    return this.buf.length > before;
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Resolves once `text` appears in the unread bytes (they stay unread); false if the connection ended first. */
  async waitForText(text: string): Promise<boolean> {
    for (;;) {
      if (this.buf.includes(text)) return true;
      if (!(await this.more(JSON.stringify(text)))) return false;
    }
  }

  /** Everything until the server closes the connection. */
  async readToEnd(): Promise<Buffer> {
    while (await this.more('the server to close the connection'));
    return this.take(this.buf.length);
  }

  /** Waits until the server ends the connection; throws on timeout. */
  async waitForClose(): Promise<void> {
    await this.readToEnd();
  }

  async readHead(): Promise<{ status: number; reason: string; headers: Array<[string, string]> } | null> {
    let end: number;
    while ((end = this.buf.indexOf('\r\n\r\n')) === -1) {
      if (!(await this.more('a response head'))) {
        if (this.buf.length === 0) return null;
        throw new Error(`connection ended inside a response head: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`);
      }
    }
    const lines = this.take(end + 4).toString('latin1').slice(0, -4).split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
    return { status: Number(m[1]), reason: m[2] ?? '', headers };
  }

  private async readExactly(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) if (!(await this.more(`${n} body bytes`))) return null;
    return this.take(n);
  }

  private async readLine(): Promise<string | null> {
    let at: number;
    while ((at = this.buf.indexOf('\r\n')) === -1) if (!(await this.more('a chunk-size line'))) return null;
    const line = this.take(at + 2).toString('latin1');
    return line.slice(0, -2);
  }

  /**
   * Reads the next final response (1xx responses before it are collected in
   * `interim`, unless `stopAtInterim`). `head`: the request was HEAD, so no body follows.
   */
  async readResponse(options: { head?: boolean; stopAtInterim?: boolean } = {}): Promise<RawResponse> {
    const interim: number[] = [];
    for (;;) {
      const head = await this.readHead();
      if (head === null) throw new Error('the connection closed before a response');
      if (head.status >= 100 && head.status < 200) {
        interim.push(head.status);
        if (options.stopAtInterim) return { ...head, body: Buffer.alloc(0), complete: true, interim };
        continue;
      }
      const res: RawResponse = { ...head, body: Buffer.alloc(0), complete: true, interim };
      if (options.head || head.status === 204 || head.status === 304) return res;
      const te = header(res, 'transfer-encoding');
      const cl = header(res, 'content-length');
      if (te !== undefined && /chunked\s*$/i.test(te)) {
        const parts: Buffer[] = [];
        for (;;) {
          const line = await this.readLine();
          if (line === null) return { ...res, body: Buffer.concat(parts), complete: false };
          const size = parseInt(line.split(';', 1)[0] ?? '', 16);
          if (Number.isNaN(size)) throw new Error(`bad chunk-size line ${JSON.stringify(line)}`);
          if (size === 0) {
            for (let t = await this.readLine(); t !== null && t !== ''; t = await this.readLine());
            return { ...res, body: Buffer.concat(parts) };
          }
          const data = await this.readExactly(size + 2);
          if (data === null) {
            parts.push(this.take(this.buf.length));
            return { ...res, body: Buffer.concat(parts), complete: false };
          }
          parts.push(data.subarray(0, size));
        }
      }
      if (cl !== undefined) {
        const n = Number(cl);
        const body = await this.readExactly(n);
        if (body === null) return { ...res, body: this.take(this.buf.length), complete: false };
        return { ...res, body };
      }
      return { ...res, body: await this.readToEnd() };
    }
  }
}

/** Opens a connection, sends `request`, reads one response and closes. */
export async function exchange(port: number, request: string | Uint8Array, options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const conn = await RawConnection.open(port, '127.0.0.1', options.timeoutMs);
  try {
    conn.write(request);
    return await conn.readResponse(options);
  } finally {
    conn.destroy();
  }
}
