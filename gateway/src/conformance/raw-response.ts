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

/** The first value of a header field (name in any case). */
export function header(res: RawResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  const hit = res.headers.find(([n]) => n === lower);
  return hit?.[1];
}

/** Every value of a header field, in order (name in any case). */
export function headerValues(res: RawResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return res.headers.filter(([n]) => n === lower).map(([, v]) => v);
}

export interface ReadResponseOptions {
  /** The request was HEAD: no body follows. */
  head?: boolean;
  /** Return the first 1xx response instead of collecting it in `interim`. */
  stopAtInterim?: boolean;
}

/**
 * Reads HTTP/1.x responses off bytes that arrive over time: `more()` waits
 * for bytes (false once no more will come). The same reader parses a socket
 * as it streams (RawConnection) and bytes already received (parseResponses).
 */
export abstract class ResponseReader {
  protected buf: Buffer = Buffer.alloc(0);
  protected ended = false;

  /** Waits for more bytes; false when the connection ended instead. */
  protected abstract more(what: string): Promise<boolean>;

  /** The bytes received and not yet read (a view: reading goes on from them). */
  get unread(): Buffer {
    return this.buf;
  }

  protected take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Resolves true once `predicate(unread)` holds (the bytes stay unread); false if the connection ended first. */
  async waitFor(predicate: (unread: Buffer) => boolean | Promise<boolean>, what = 'the expected bytes'): Promise<boolean> {
    for (;;) {
      if (await predicate(this.buf)) return true;
      if (!(await this.more(what))) return false;
    }
  }

  /** Resolves once `text` appears in the unread bytes (they stay unread); false if the connection ended first. */
  waitForText(text: string): Promise<boolean> {
    return this.waitFor((unread) => unread.includes(text), JSON.stringify(text));
  }

  /** Everything until the server closes the connection. */
  async readToEnd(): Promise<Buffer> {
    while (await this.more('the server to close the connection'));
    return this.take(this.buf.length);
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
    return this.take(at + 2).toString('latin1').slice(0, -2);
  }

  /** Reads the next final response (1xx responses before it are collected in `interim`, unless `stopAtInterim`). */
  async readResponse(options: ReadResponseOptions = {}): Promise<RawResponse> {
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
      if (te !== undefined && /chunked\s*$/i.test(te)) return this.readChunked(res);
      if (cl !== undefined) {
        const body = await this.readExactly(Number(cl));
        return body === null ? { ...res, body: this.take(this.buf.length), complete: false } : { ...res, body };
      }
      return { ...res, body: await this.readToEnd() };
    }
  }

  private async readChunked(res: RawResponse): Promise<RawResponse> {
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
}

/** Bytes that already arrived in full. */
class ReceivedBytes extends ResponseReader {
  constructor(bytes: Uint8Array) {
    super();
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.ended = true;
  }
  protected more(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/**
 * The responses in bytes received on one connection (pipelined answers, or
 * everything up to the close), in order; a head cut short ends the list, a
 * body cut short is the last entry with `complete: false`.
 */
export async function parseResponses(bytes: Uint8Array, options: { head?: boolean } = {}): Promise<RawResponse[]> {
  const reader = new ReceivedBytes(bytes);
  const out: RawResponse[] = [];
  while (reader.unread.includes('\r\n\r\n')) out.push(await reader.readResponse(options));
  return out;
}
