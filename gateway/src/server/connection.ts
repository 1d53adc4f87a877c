import type { Socket } from 'node:net';
import { GatewayError, ProtocolError } from '../errors.js';
import type { ServerHooks } from '../server-types.js';
import type { App, ErrorStream, ResponseHeaders } from '../types.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { buildEnviron, type PeerInfo } from './environ.js';
import { CONTINUE_100, errorResponse } from './error-response.js';
import { Exchange, type ExchangeHost, type ResponseSink } from './exchange.js';
import { checkPartialHead, parseHead } from './head-parser.js';
import { dateHeaderLine } from './http-date.js';
import { BodyInput, EMPTY_PUMP, type BodyPump } from './input-stream.js';
import type { RequestHead } from './request-head.js';
import type { ResolvedOptions } from './server-options.js';

/** What every connection of one server shares. */
export interface Engine {
  readonly app: App;
  readonly opts: ResolvedOptions;
  readonly connections: Set<Connection>;
  inFlight: number;
  draining: boolean;
}

const enum Read {
  /** Waiting for (the rest of) a request head. */
  Head,
  /** The app may read the body; bytes are read from the socket as it pulls. */
  Body,
  /** Body done or absent, response under way; further bytes are the next pipelined request. */
  Wait,
  /** Response done, body not fully read: discarding the rest before the next request. */
  Drain,
  /** Closing: our FIN is sent, incoming bytes are discarded. */
  Closing,
}

export const enum Deadline {
  None,
  Head,
  Idle,
  Drain,
  Linger,
}

/** Unread bytes buffered before the socket is paused (INPUT-3). */
const HIGH_WATER = 64 * 1024;
/** An unread body up to this size is read and discarded to keep the connection; beyond it the connection closes. */
const DRAIN_MAX = 256 * 1024;
/** How long a closing connection may linger for the client's FIN before it is destroyed. */
const LINGER_MS = 2000;
/** Bodies up to this size are copied behind the head into a single write. */
const COALESCE_MAX = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const RESOLVED = Promise.resolve();

/** tchar: what the first byte of a request line (a method) must be. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function uncork(socket: Socket): void {
  socket.uncork();
}

function inputAborted(): ProtocolError {
  return new ProtocolError('GW_ERR_INPUT_ABORTED', 'Bad Request: the request body was cut off', 400);
}

/** One client connection of the reference server: HTTP/1.1 parsing, keep-alive, pipelining and response framing. */
export class Connection implements ResponseSink, BodyPump, ExchangeHost {
  deadline = 0;
  deadlineKind = Deadline.None;

  private buf: Buffer | null = null;
  private state = Read.Head;
  private exchange: Exchange | null = null;
  private decoder: ChunkedDecoder | null = null;
  private remaining = 0;
  private bodyDone = true;
  private keepAlive = true;
  private version10 = false;
  private chunkedOut = false;
  private continuePending = false;
  private peerEnded = false;
  private closed = false;
  private parsing = false;
  private pullResolve: ((chunk: Buffer | null) => void) | null = null;
  private pullReject: ((err: unknown) => void) | null = null;
  private drainPromise: Promise<void> | null = null;
  private drainResolve: (() => void) | null = null;
  private readonly peer: PeerInfo;

  constructor(
    private readonly engine: Engine,
    private readonly socket: Socket,
  ) {
    this.peer = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: String(socket.remotePort ?? ''),
      localAddress: socket.localAddress ?? '',
      localPort: String(socket.localPort ?? ''),
    };
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.onDrain());
    // 'close' follows every socket error; there is nothing else to do with it.
    socket.on('error', () => {});
    this.setDeadline(Deadline.Head, engine.opts.headersTimeoutMs);
  }

  get errors(): ErrorStream {
    return this.engine.opts.errors;
  }

  get hooks(): ServerHooks {
    return this.engine.opts.hooks;
  }

  /** True when no request is under way (drain() closes these at once). */
  get idle(): boolean {
    return this.exchange === null;
  }

  private setDeadline(kind: Deadline, ms: number): void {
    this.deadlineKind = kind;
    this.deadline = kind === Deadline.None ? 0 : Date.now() + ms;
  }

  // ---- reading ----

  private onData(chunk: Buffer): void {
    if (this.state === Read.Closing) return;
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    switch (this.state) {
      case Read.Head:
        this.parseHeads();
        break;
      case Read.Body:
        if (this.pullResolve !== null) this.servePull();
        if (this.buf !== null && this.buf.length > HIGH_WATER) this.socket.pause();
        break;
      case Read.Wait:
        if (this.buf.length > HIGH_WATER) this.socket.pause();
        break;
      case Read.Drain:
        this.drainBody();
        break;
    }
  }

  private parseHeads(): void {
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (this.state === Read.Head && this.buf !== null && !this.closed) {
        const buf = this.buf;
        let start = 0;
        // RFC 9112 section 2.2: empty lines before a request line are ignored.
        while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
        if (start >= buf.length) {
          this.buf = null;
          break;
        }
        const end = buf.indexOf(HEAD_END, start);
        if (end === -1) {
          if (TCHAR[buf[start]] !== 1 && !(buf[start] === 13 && start === buf.length - 1)) {
            throw new ProtocolError('GW_ERR_BAD_REQUEST', 'Bad Request: malformed request line', 400);
          }
          checkPartialHead(buf, start, this.engine.opts.limits);
          if (start > 0) this.buf = buf.subarray(start);
          if (this.deadlineKind !== Deadline.Head) this.setDeadline(Deadline.Head, this.engine.opts.headersTimeoutMs);
          break;
        }
        const headEnd = end + 4;
        const text = buf.toString('latin1', start, headEnd);
        this.buf = headEnd < buf.length ? buf.subarray(headEnd) : null;
        this.startRequest(parseHead(text, this.engine.opts.limits));
      }
    } catch (err) {
      this.refuse(err);
    } finally {
      this.parsing = false;
    }
  }

  private startRequest(head: RequestHead): void {
    const opts = this.engine.opts;
    if (head.contentLength > opts.limits.body) {
      throw new ProtocolError('GW_ERR_BODY_TOO_LARGE', `Content Too Large: body of ${head.contentLength} bytes over the limit of ${opts.limits.body}`, 413);
    }
    const hasBody = head.chunked || head.contentLength > 0;
    const environ = buildEnviron(head, this.peer, opts, new BodyInput(hasBody ? this : EMPTY_PUMP));
    if (environ === null) throw new ProtocolError('GW_ERR_BAD_PATH', 'Bad Request: path is not valid percent-encoded UTF-8', 400);
    this.setDeadline(Deadline.None, 0);
    this.version10 = head.version === 'HTTP/1.0';
    this.keepAlive = head.keepAlive && !this.engine.draining;
    this.chunkedOut = false;
    this.decoder = head.chunked ? new ChunkedDecoder(opts.limits) : null;
    this.remaining = head.chunked ? 0 : Math.max(head.contentLength, 0);
    this.bodyDone = !hasBody;
    this.state = hasBody ? Read.Body : Read.Wait;
    this.continuePending = hasBody && head.expectContinue;
    const exchange = new Exchange(this, environ, this, head.method === 'HEAD', performance.now());
    this.exchange = exchange;
    this.engine.inFlight++;
    exchange.run(this.engine.app);
  }

  /** Refuses a request before any app ran (SRV-4, SRV-6): status, short text, Connection: close. */
  private refuse(err: unknown): void {
    let status = 500;
    let code = 'GW_ERR_INTERNAL';
    let message = 'Internal Server Error';
    if (err instanceof GatewayError) {
      status = err.status;
      code = err.code;
      message = err.message;
    } else {
      this.errors.write(`TSGI server error while parsing a request: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    try {
      this.hooks.onProtocolError?.({ status, code, remoteAddress: this.peer.remoteAddress });
    } catch (hookErr) {
      this.errors.write(`TSGI onProtocolError hook failed: ${String(hookErr)}`);
    }
    if (!this.closed) this.socket.write(errorResponse(status, message));
    this.closeGracefully();
  }

  /** Next piece of body from the buffer: bytes, null at the end, undefined when more must be read. */
  private takeBody(): Buffer | null | undefined {
    if (this.bodyDone) return null;
    const buf = this.buf;
    if (buf === null) return undefined;
    const decoder = this.decoder;
    if (decoder !== null) {
      const out = decoder.next(buf, 0);
      this.buf = decoder.pos < buf.length ? buf.subarray(decoder.pos) : null;
      if (out !== null) return out;
      if (decoder.done) {
        this.bodyFinished();
        return null;
      }
      return undefined;
    }
    const n = Math.min(this.remaining, buf.length);
    const out = n === buf.length ? buf : buf.subarray(0, n);
    this.buf = n === buf.length ? null : buf.subarray(n);
    this.remaining -= n;
    if (this.remaining === 0) this.bodyFinished();
    return out;
  }

  private bodyFinished(): void {
    this.bodyDone = true;
    if (this.state === Read.Body) {
      this.state = Read.Wait;
      // Keep reading so a client that goes away mid-response is noticed (APP-3).
      if (this.socket.isPaused() && (this.buf === null || this.buf.length <= HIGH_WATER)) this.socket.resume();
    }
  }

  /** The body framing broke or went over the limit: nothing after it can be trusted. */
  private bodyFailed(): void {
    this.keepAlive = false;
    this.bodyDone = true;
    this.buf = null;
    if (this.state === Read.Body) this.state = Read.Wait;
  }

  pull(): Buffer | null | Promise<Buffer | null> {
    if (this.bodyDone) return null;
    if (this.continuePending) {
      this.continuePending = false;
      if (!this.closed) this.socket.write(CONTINUE_100);
    }
    let chunk: Buffer | null | undefined;
    try {
      chunk = this.takeBody();
    } catch (err) {
      this.bodyFailed();
      throw err;
    }
    if (chunk !== undefined) return chunk;
    if (this.closed || this.peerEnded) return Promise.reject(inputAborted());
    if (this.socket.isPaused()) this.socket.resume();
    return new Promise((resolve, reject) => {
      this.pullResolve = resolve;
      this.pullReject = reject;
    });
  }

  private servePull(): void {
    const resolve = this.pullResolve;
    const reject = this.pullReject;
    if (resolve === null || reject === null) return;
    let chunk: Buffer | null | undefined;
    try {
      chunk = this.takeBody();
    } catch (err) {
      this.pullResolve = this.pullReject = null;
      this.bodyFailed();
      reject(err);
      return;
    }
    if (chunk === undefined) return;
    this.pullResolve = this.pullReject = null;
    resolve(chunk);
  }

  private drainBody(): void {
    try {
      while (this.buf !== null && !this.bodyDone) this.takeBody();
    } catch {
      this.closeGracefully();
      return;
    }
    if (this.bodyDone) {
      this.nextRequest();
      return;
    }
    if (this.deadlineKind !== Deadline.Drain) this.setDeadline(Deadline.Drain, this.engine.opts.keepAliveTimeoutMs);
    if (this.socket.isPaused()) this.socket.resume();
  }

  private nextRequest(): void {
    this.state = Read.Head;
    this.decoder = null;
    this.bodyDone = true;
    this.setDeadline(Deadline.Idle, this.engine.opts.keepAliveTimeoutMs);
    if (this.socket.isPaused()) this.socket.resume();
    // Inside parseHeads (the app answered synchronously) its loop picks up the next pipelined head.
    if (this.buf !== null && !this.parsing) this.parseHeads();
  }

  /**
   * The client sent FIN. Like node:http (without httpAllowHalfOpen) this
   * counts as going away: a request under way is aborted (APP-3 close() runs
   * now, not at the next failed write) and our side closes once flushed.
   */
  private onEnd(): void {
    this.peerEnded = true;
    if (this.pullReject !== null) {
      const reject = this.pullReject;
      this.pullResolve = this.pullReject = null;
      this.bodyFailed();
      reject(inputAborted());
    }
    if (this.exchange !== null) this.exchange.abort();
    else this.closeGracefully();
  }

  private onClose(): void {
    this.closed = true;
    this.state = Read.Closing;
    this.buf = null;
    this.engine.connections.delete(this);
    if (this.pullReject !== null) {
      const reject = this.pullReject;
      this.pullResolve = this.pullReject = null;
      reject(inputAborted());
    }
    this.onDrain();
    this.exchange?.abort();
  }

  private onDrain(): void {
    const resolve = this.drainResolve;
    if (resolve === null) return;
    this.drainResolve = null;
    this.drainPromise = null;
    resolve();
  }

  /** Called by the server's sweep when `deadline` passed. */
  onDeadline(): void {
    const kind = this.deadlineKind;
    this.setDeadline(Deadline.None, 0);
    if (this.closed) return;
    switch (kind) {
      case Deadline.Head:
        if (this.buf !== null && this.exchange === null) {
          this.refuse(new ProtocolError('GW_ERR_HEADERS_TIMEOUT', `Request Timeout: head not complete within ${this.engine.opts.headersTimeoutMs} ms`, 408));
        } else {
          this.socket.destroy();
        }
        break;
      case Deadline.Idle:
      case Deadline.Drain:
        this.closeGracefully();
        break;
      case Deadline.Linger:
        this.socket.destroy();
        break;
      default:
        break;
    }
  }

  /** Graceful stop: idle connections close now, busy ones after their response. */
  drainIdle(): void {
    if (this.exchange === null) this.closeGracefully();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private closeGracefully(): void {
    if (this.state === Read.Closing || this.closed) return;
    this.state = Read.Closing;
    this.buf = null;
    this.keepAlive = false;
    this.socket.end();
    this.setDeadline(Deadline.Linger, LINGER_MS);
    // Keep reading (and discarding) until the client closes, so unread bytes do not turn our FIN into a RST.
    if (this.socket.isPaused()) this.socket.resume();
  }

  // ---- ExchangeHost ----

  exchangeDone(): void {
    this.engine.inFlight--;
    this.exchange = null;
    if (this.pullResolve !== null) {
      const resolve = this.pullResolve;
      this.pullResolve = this.pullReject = null;
      resolve(null);
    }
    if (this.closed) return;
    if (!this.keepAlive || this.engine.draining || this.peerEnded) {
      this.closeGracefully();
      return;
    }
    if (!this.bodyDone) {
      this.state = Read.Drain;
      this.drainBody();
      return;
    }
    this.nextRequest();
  }

  // ---- ResponseSink ----

  private headText(status: string, headers: ResponseHeaders): string {
    let head = `HTTP/1.1 ${status}\r\n`;
    for (let i = 0; i < headers.length; i++) head += `${headers[i][0]}: ${headers[i][1]}\r\n`;
    return head + dateHeaderLine();
  }

  /** Decides whether the connection outlives this response (SRV-7) and ends the head. */
  private headEnd(): string {
    if (
      this.keepAlive &&
      (this.engine.draining ||
        this.peerEnded ||
        this.continuePending ||
        (!this.bodyDone && (this.decoder !== null || this.remaining > DRAIN_MAX)))
    ) {
      this.keepAlive = false;
    }
    if (!this.keepAlive) return 'Connection: close\r\n\r\n';
    return this.version10 ? 'Connection: keep-alive\r\n\r\n' : '\r\n';
  }

  sendAll(_code: number, status: string, headers: ResponseHeaders, addLength: number, chunks: Uint8Array[] | null): void {
    if (this.closed) return;
    let head = this.headText(status, headers);
    if (addLength >= 0) head += `Content-Length: ${addLength}\r\n`;
    head += this.headEnd();
    const socket = this.socket;
    if (chunks === null) {
      socket.write(head, 'latin1');
    } else if (chunks.length === 1 && chunks[0].length <= COALESCE_MAX) {
      const body = chunks[0];
      const out = Buffer.allocUnsafe(head.length + body.length);
      out.write(head, 0, 'latin1');
      out.set(body, head.length);
      socket.write(out);
    } else {
      socket.cork();
      socket.write(head, 'latin1');
      for (let i = 0; i < chunks.length; i++) socket.write(chunks[i]);
      socket.uncork();
    }
  }

  sendHead(_code: number, status: string, headers: ResponseHeaders, fixed: boolean, noBody: boolean): void {
    if (this.closed) return;
    let head = this.headText(status, headers);
    this.chunkedOut = !fixed && !noBody && !this.version10;
    // HTTP/1.0 without a length: the body ends when the connection does (SRV-1).
    if (!fixed && !noBody && this.version10) this.keepAlive = false;
    if (this.chunkedOut) head += 'Transfer-Encoding: chunked\r\n';
    head += this.headEnd();
    // Corked until the next tick so the head and the first chunk leave in one packet.
    this.socket.cork();
    this.socket.write(head, 'latin1');
    process.nextTick(uncork, this.socket);
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed) return true;
    const socket = this.socket;
    if (!this.chunkedOut) return socket.write(chunk);
    const hex = chunk.length.toString(16);
    if (chunk.length <= COALESCE_MAX) {
      const out = Buffer.allocUnsafe(hex.length + 4 + chunk.length);
      out.write(hex, 0, 'latin1');
      out[hex.length] = 13;
      out[hex.length + 1] = 10;
      out.set(chunk, hex.length + 2);
      out[out.length - 2] = 13;
      out[out.length - 1] = 10;
      return socket.write(out);
    }
    socket.cork();
    socket.write(`${hex}\r\n`, 'latin1');
    socket.write(chunk);
    const ok = socket.write(CRLF);
    socket.uncork();
    return ok;
  }

  waitDrain(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return RESOLVED;
    if (this.drainPromise === null) {
      this.drainPromise = new Promise((resolve) => {
        this.drainResolve = resolve;
      });
    }
    return this.drainPromise;
  }

  endBody(complete: boolean): void {
    if (this.chunkedOut && !this.closed) this.socket.write(LAST_CHUNK);
    this.chunkedOut = false;
    if (!complete) this.keepAlive = false;
  }

  cut(): void {
    // What was written still goes out, then FIN: the client sees a response missing its end (SRV-5).
    this.keepAlive = false;
    this.chunkedOut = false;
  }

  sendError(code: number, message: string): void {
    this.keepAlive = false;
    if (!this.closed) this.socket.write(errorResponse(code, message));
  }
}
