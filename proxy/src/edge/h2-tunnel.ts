import { Duplex } from 'node:stream';
import { constants, type ServerHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { ChunkedDecoder, parseResponseHead } from '@tsgi/http1';
import { H2_FORBIDDEN_RESPONSE, type TranslatedRequest } from './h2-request.js';

const enum Out {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

const MAX_RESPONSE_HEAD = 65536;
/** Trailers of a chunked upstream body: within the response head's byte limit, no field count of their own. */
const TRAILER_LIMITS = Object.freeze({ requestLine: MAX_RESPONSE_HEAD, fieldLine: MAX_RESPONSE_HEAD, fields: Number.POSITIVE_INFINITY, headBytes: MAX_RESPONSE_HEAD });
/**
 * Request bodies up to this size (declared, or without content-length up to
 * here) are held until the stream ends before the head goes to the core:
 * nghttp2 checks content-length against the DATA only at END_STREAM, and the
 * core checks body limits on what arrives with the head, so a mismatching or
 * oversized small request is refused before any of it is forwarded (as
 * nginx buffers small bodies). Beyond this the body streams.
 */
const HOLD_BODY_MAX = 65536;
/** How long a held body may take to arrive before it streams instead (well under the core's keep-alive timeout). */
const HOLD_MS = 1000;
const CRLF_BUF = Buffer.from('\r\n', 'latin1');

/**
 * Carries one HTTP/2 stream through the proxy's HTTP/1.1 core as if it were
 * a client socket: reading yields the translated request head and the body
 * (DATA frames, re-framed as chunked when no content-length was given);
 * writing takes the core's HTTP/1.1 response, which is parsed back into
 * `:status` + fields and DATA frames. So h2 requests get exactly the same
 * routing, limits, balancing, retries and logging as HTTP/1.1 ones.
 * Backpressure holds both ways (h2 flow control ↔ the core's pause/resume),
 * and destroying either side resets the other: a cut upstream response
 * becomes RST_STREAM, never a short stream that looks complete.
 */
export class H2Tunnel extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  private out = Out.Head;
  private headBuf: Buffer | null = null;
  private remaining = 0;
  private decoder: ChunkedDecoder | null = null;
  private readonly writeData = (b: Buffer, s: number, e: number): void => {
    this.writeOk = this.stream.write(b.subarray(s, e)) && this.writeOk;
  };
  private responded = false;
  private pendingCb: ((err?: Error | null) => void) | null = null;
  private readonly noBody: boolean;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly request: TranslatedRequest,
    peer: { address: string; port: number },
  ) {
    super({ allowHalfOpen: true });
    this.remoteAddress = peer.address;
    this.remotePort = peer.port;
    this.noBody = request.method === 'HEAD';
    const head = Buffer.from(request.head, 'latin1');
    this.listen(stream);
    stream.on('data', (chunk: Buffer) => this.onRequestData(chunk));
    stream.on('end', () => {
      if (request.chunked) this.bodyOut(Buffer.from('0\r\n\r\n', 'latin1'));
      if (this.held !== null) this.release();
      this.push(null);
    });
    if (request.contentLength > 0 ? request.contentLength <= HOLD_BODY_MAX : request.chunked) {
      // Flowing: the body (or its first HOLD_BODY_MAX bytes) is collected, then goes to the core in one piece with the head.
      this.held = [head];
      // A slow sender must not look like an idle connection to the core: after a moment the body streams.
      this.holdTimer = setTimeout(() => {
        if (this.held !== null) this.release();
      }, HOLD_MS);
      return;
    }
    this.push(head);
    stream.pause();
  }

  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private holdTimer: NodeJS.Timeout | null = null;

  private onRequestData(chunk: Buffer): void {
    if (this.request.chunked) this.bodyOut(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF_BUF);
    else this.bodyOut(chunk);
  }

  private bodyOut(...parts: Buffer[]): void {
    const held = this.held;
    if (held !== null) {
      for (const p of parts) {
        held.push(p);
        this.heldBytes += p.length;
      }
      if (this.heldBytes > HOLD_BODY_MAX) this.release();
      return;
    }
    let ok = true;
    for (const p of parts) ok = this.push(p) && ok;
    if (!ok) this.stream.pause();
  }

  /** Hands the head and the body collected so far to the core as one chunk, so its checks see them together; the rest streams. */
  private release(): void {
    const all = Buffer.concat(this.held as Buffer[]);
    this.held = null;
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (!this.push(all)) this.stream.pause();
  }

  private listen(stream: ServerHttp2Stream): void {
    stream.on('drain', () => this.flushed());
    stream.on('error', () => {});
    stream.on('close', () => {
      if (this.holdTimer !== null) clearTimeout(this.holdTimer);
      if (this.out !== Out.Done) this.destroy();
      this.flushed();
    });
  }

  /** The core's Socket calls; harmless on a stream. */
  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  destroySoon(): void {
    if (this.writableFinished) this.destroy();
    else this.end(() => this.destroy());
  }

  override _read(): void {
    if (!this.stream.destroyed && this.stream.isPaused()) this.stream.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let ok: boolean;
    try {
      ok = this.consume(chunk);
    } catch {
      this.reset();
      cb();
      return;
    }
    if (ok || this.stream.destroyed) cb();
    else this.pendingCb = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.out === Out.UntilClose) this.finishStream();
    else if (this.out !== Out.Done) this.reset();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.out !== Out.Done) this.reset();
    this.flushed();
    cb(err);
  }

  private flushed(): void {
    const cb = this.pendingCb;
    this.pendingCb = null;
    if (cb !== null) cb();
  }

  /** Returns false when the h2 stream wants the writer to wait for 'drain'. */
  private consume(chunk: Buffer): boolean {
    let start = 0;
    while (this.out === Out.Head) {
      const buf = this.headBuf === null ? chunk.subarray(start) : Buffer.concat([this.headBuf, chunk.subarray(start)]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_RESPONSE_HEAD) throw new Error('response head too large');
        this.headBuf = buf;
        return true;
      }
      this.headBuf = null;
      const head = parseResponseHead(buf.toString('latin1', 0, end + 4), false);
      const rest = buf.subarray(end + 4);
      if (head.status < 200) {
        // 100 Continue from upstream: an informational HEADERS frame.
        if (head.status === 100 && !this.stream.destroyed) this.stream.additionalHeaders({ ':status': 100 });
        chunk = rest;
        start = 0;
        continue;
      }
      const headers: OutgoingHttpHeaders = { ':status': head.status };
      for (const line of head.lines.split('\r\n')) {
        if (line === '') continue;
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        if (H2_FORBIDDEN_RESPONSE.has(name)) continue;
        const value = line.slice(colon + 1).trim();
        const prev = headers[name];
        headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
      }
      const bodiless = this.noBody || head.status === 204 || head.status === 304;
      if (head.contentLength >= 0 && head.status !== 204) headers['content-length'] = head.contentLength;
      if (this.stream.destroyed) {
        this.out = Out.Done;
        return true;
      }
      this.stream.respond(headers, { endStream: bodiless || head.contentLength === 0 });
      this.responded = true;
      if (bodiless || head.contentLength === 0) {
        this.out = Out.Done;
        return true;
      }
      if (head.contentLength > 0) {
        this.out = Out.Length;
        this.remaining = head.contentLength;
      } else if (head.chunked) {
        this.out = Out.Chunked;
        this.decoder = new ChunkedDecoder(TRAILER_LIMITS);
      } else {
        this.out = Out.UntilClose;
      }
      chunk = rest;
      start = 0;
    }
    if (start >= chunk.length || this.stream.destroyed) return true;
    switch (this.out) {
      case Out.Length: {
        const take = Math.min(this.remaining, chunk.length - start);
        const ok = this.stream.write(chunk.subarray(start, start + take));
        this.remaining -= take;
        if (this.remaining === 0) this.finishStream();
        return ok;
      }
      case Out.Chunked: {
        this.writeOk = true;
        const end = (this.decoder as ChunkedDecoder).push(chunk, start, this.writeData);
        if (end >= 0) this.finishStream();
        return this.writeOk;
      }
      case Out.UntilClose:
        return this.stream.write(start === 0 ? chunk : chunk.subarray(start));
      default:
        return true;
    }
  }

  private writeOk = true;

  private finishStream(): void {
    this.out = Out.Done;
    if (!this.stream.destroyed) this.stream.end();
  }

  /** Something went wrong mid-exchange: the client must not take a partial answer as whole. */
  private reset(): void {
    const wasResponded = this.responded;
    this.out = Out.Done;
    if (this.stream.destroyed) return;
    if (!wasResponded && !this.stream.headersSent) {
      this.stream.close(constants.NGHTTP2_REFUSED_STREAM);
    } else {
      this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }
}
