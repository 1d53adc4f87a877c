import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { ProxyContext } from '../route/proxy-context.js';
import type { ClientInfo } from '../listener/edge-listener.js';
import { H2_FORBIDDEN_RESPONSE, type TranslatedRequest } from './h2-request.js';
import { Exchange } from '../exchange/exchange.js';
import { DataBody } from '../exchange/request-body.js';
import type { ClientFraming, ClientSide, OutgoingHead } from '../exchange/client-side.js';
import type { LocalAnswer } from '../policy/error-answers.js';

/** Adds `name: value` lines (`name: value\r\n` each) to h2 response headers, dropping fields HTTP/2 forbids. */
/** Adds `name: value\r\n` lines to h2 response headers, leaving out the fields HTTP/2 forbids. */
export function addLines(headers: OutgoingHttpHeaders, lines: string): void {
  let pos = 0;
  while (pos < lines.length) {
    let eol = lines.indexOf('\r\n', pos);
    if (eol < 0) eol = lines.length;
    const colon = lines.indexOf(':', pos);
    if (colon > pos && colon < eol) {
      const name = lines.slice(pos, colon).toLowerCase();
      if (!H2_FORBIDDEN_RESPONSE.has(name)) {
        const value = lines.slice(colon + 1, eol).trim();
        const prev = headers[name];
        headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
      }
    }
    pos = eol + 2;
  }
}

/**
 * The HTTP/2 client codec: one stream is one exchange. The validated
 * request (fields → request head) goes straight into an Exchange, DATA
 * frames are its body, and the response goes out as `:status` + fields and
 * DATA frames via stream.respond()/write(): nothing is re-serialised to
 * HTTP/1.1 on the client side. Flow control maps to pause/resume both
 * ways; a response that cannot complete resets the stream (RST_STREAM),
 * never a short stream that looks whole.
 */
export class H2StreamClient implements ClientSide {
  readonly peer: string;
  readonly version = 'h2';
  readonly takesRawChunked = false;
  /** Null once the request is answered. */
  private exchange: Exchange | null = null;
  private ended = false;
  private responded = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly ctx: ProxyContext,
    readonly info: ClientInfo,
    request: TranslatedRequest,
  ) {
    this.peer = info.address;
    const head = request.head;
    const body = request.endStream ? null : new DataBody(head.contentLength);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('drain', () => this.exchange?.clientDrained());
    stream.on('error', () => {});
    stream.on('close', () => this.onClose());
    ctx.connections.add(this);
    // A small body is read whole by the exchange before any upstream is asked (requestBody.bufferSize), so a
    // content-length that the DATA does not match is refused at END_STREAM with nothing forwarded.
    const exchange = new Exchange(ctx, this, head, body, null, true);
    this.exchange = exchange;
    exchange.start();
  }

  get deadline(): number {
    return this.exchange !== null ? this.exchange.deadline : Infinity;
  }

  private onData(chunk: Buffer): void {
    this.exchange?.requestData(chunk);
  }

  private onEnd(): void {
    this.exchange?.requestEnd();
  }

  private onClose(): void {
    this.ctx.connections.delete(this);
    const exchange = this.exchange;
    this.exchange = null;
    if (exchange !== null) exchange.clientClosed();
  }

  // ---- ClientSide ------------------------------------------------------------

  sendHead(head: OutgoingHead, framing: ClientFraming, _keepAlive: boolean, first: Buffer | null, start: number, end: number): boolean {
    const stream = this.stream;
    if (stream.destroyed) return true;
    const headers: OutgoingHttpHeaders = { ':status': head.status };
    addLines(headers, head.lines);
    headers.via = `1.1 ${this.ctx.config.forwarded.via}`;
    if (head.contentLength >= 0 && head.status !== 204 && (framing === 'length' || framing === 'none')) headers['content-length'] = head.contentLength;
    const endStream = framing === 'none' || (framing === 'length' && head.contentLength === 0);
    stream.respond(headers, { endStream });
    this.responded = true;
    if (endStream) this.ended = true;
    if (first === null || end <= start) return true;
    return stream.write(first.subarray(start, end));
  }

  sendBody(buf: Buffer, start: number, end: number): boolean {
    if (this.stream.destroyed || this.ended) return true;
    return this.stream.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  sendRaw(buf: Buffer, start: number, end: number): boolean {
    return this.sendBody(buf, start, end);
  }

  endBody(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.stream.destroyed) this.stream.end();
  }

  /** HTTP/2 has no upgrade (RFC 9113 8.6); the request never asks for one. */
  sendUpgrade(): void {
    this.cut();
  }

  sendContinue(): void {
    if (!this.stream.destroyed && !this.responded) this.stream.additionalHeaders({ ':status': 100 });
  }

  answer(a: LocalAnswer): void {
    const stream = this.stream;
    if (stream.destroyed || stream.headersSent) return;
    const headers: OutgoingHttpHeaders = { ':status': a.status, 'content-type': a.type, 'content-length': Buffer.byteLength(a.body) };
    addLines(headers, a.lines);
    this.responded = true;
    this.ended = true;
    stream.respond(headers, { endStream: a.head });
    if (!a.head) stream.end(a.body);
    // The rest of the request body, if any, is not wanted.
    stream.resume();
  }

  refuse(a: LocalAnswer): void {
    this.answer(a);
  }

  /** Something went wrong mid-exchange: the client must not take a partial answer as whole. */
  cut(): void {
    this.ended = true;
    const stream = this.stream;
    if (stream.destroyed) return;
    stream.close(this.responded || stream.headersSent ? constants.NGHTTP2_INTERNAL_ERROR : constants.NGHTTP2_REFUSED_STREAM);
  }

  pauseReading(): void {
    if (!this.stream.destroyed) this.stream.pause();
  }

  resumeReading(): void {
    if (!this.stream.destroyed) this.stream.resume();
  }

  exchangeDone(): void {
    this.exchange = null;
    // DATA the exchange no longer wants is read and dropped, so flow control does not stall the connection.
    if (!this.stream.destroyed) this.stream.resume();
  }

  /** DATA past the end of the body is caught by the body's own count; nothing is pipelined on a stream. */
  holdPipelined(): void {}

  // ---- the worker's sweep and drain ---------------------------------------------

  onTimeout(now: number): void {
    this.exchange?.onTimeout(now);
  }

  closeIfIdle(): boolean {
    if (this.exchange === null) return true;
    this.exchange.keepAlive = false;
    return false;
  }

  destroy(): void {
    this.cut();
  }
}
