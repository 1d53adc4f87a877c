import type { Socket } from 'node:net';
import { LAST_CHUNK, leadingEmptyLines, normalizePeer, parseRequestHead, RequestHeadScanner, writeChunk, type RequestHead } from '@tsgi/http1';
import { ProxyError } from '../errors.js';
import type { ProxyContext } from '../route/proxy-context.js';
import { headLimitsOf } from '../config/wire-limits.js';
import type { ClientInfo } from '../listener/edge-listener.js';
import type { ClientFraming, ClientSide, OutgoingHead } from '../exchange/client-side.js';
import { serializeAnswer, type LocalAnswer } from '../policy/error-answers.js';
import { Exchange } from '../exchange/exchange.js';
import { asProxyError, codeOf } from '../caught-errors.js';
import { refusalRecord } from '../exchange/access-record.js';
import { ChunkedBody, LengthBody, type RequestBody } from '../exchange/request-body.js';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Response heads with at most this much body go out as one buffer in one write. */
const ONE_WRITE = 16384;

/** Where the connection stands between exchanges. */
type ConnectionState = 'idle' | 'reading-head' | 'exchange' | 'closed';

function uncork(sock: Socket): void {
  sock.uncork();
}

/** Who is on a plain TCP connection without PROXY protocol or TLS. */
function plainInfo(socket: Socket): ClientInfo {
  const address = normalizePeer(socket.remoteAddress ?? '');
  const localAddress = normalizePeer(socket.localAddress ?? '');
  return { address, port: socket.remotePort ?? 0, peerAddress: address, proxied: null, tls: false, alpn: '', servername: '', tlsProtocol: null, localAddress, localPort: socket.localPort ?? 0, listener: 0 };
}

/**
 * The HTTP/1.1 client codec: one client connection. Heads are checked while
 * they arrive and parsed strictly once with @tsgi/http1 (malformed → 4xx and
 * close, nothing forwarded); each request becomes an Exchange, which answers
 * through this object's ClientSide methods (framing, keep-alive, one write
 * for a small response). Between exchanges: keep-alive, pipelined bytes
 * held, timeouts, drain.
 */
export class ClientConnection implements ClientSide {
  readonly peer: string;
  readonly info: ClientInfo;
  version: 'h1.0' | 'h1.1' = 'h1.1';
  takesRawChunked = true;
  private state: ConnectionState = 'idle';
  private ownDeadline: number;
  private buf: Buffer | null = null;
  private exchange: Exchange | null = null;
  private clientEnded = false;
  private framing: ClientFraming = 'none';
  private tunnel = false;
  /** Checks each head while it arrives (one per connection), so a broken one is refused in the packet that shows it. */
  private readonly scanner: RequestHeadScanner;
  /** Set by a drain while a head is arriving: that request is the connection's last. */
  private last = false;
  private viaFor = '';
  private viaLine = '';

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ProxyContext,
    info: ClientInfo | null = null,
  ) {
    this.info = info ?? plainInfo(socket);
    this.peer = this.info.address;
    this.scanner = new RequestHeadScanner(headLimitsOf(ctx.config.limits));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('drain', () => this.exchange?.clientDrained());
    socket.on('error', () => {});
    socket.on('close', () => this.onClientClose());
    this.ownDeadline = Date.now() + ctx.config.timeouts.keepAlive;
    ctx.connections.add(this);
  }

  /** When the worker's sweep calls onTimeout. */
  get deadline(): number {
    return this.exchange !== null ? this.exchange.deadline : this.ownDeadline;
  }

  private onData(chunk: Buffer): void {
    switch (this.state) {
      case 'idle':
        this.state = 'reading-head';
        this.ownDeadline = Date.now() + this.ctx.config.timeouts.clientHeader;
        this.buf = chunk;
        this.tryHead(chunk);
        return;
      case 'reading-head':
        this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
        this.tryHead(this.buf);
        return;
      case 'exchange':
        if (this.exchange !== null) this.exchange.requestData(chunk);
        else this.holdPipelined(chunk);
        return;
      default:
        this.holdPipelined(chunk);
    }
  }

  private tryHead(input: Buffer): void {
    let buf = input;
    if (buf[0] === 13) {
      const skip = leadingEmptyLines(buf);
      if (skip === buf.length) {
        this.buf = null;
        return;
      }
      buf = buf.subarray(skip);
      this.buf = buf;
    }
    let req: RequestHead;
    let end: number;
    try {
      end = this.scanner.scan(buf, 0);
      if (end < 0) return;
      req = parseRequestHead(buf, 0, end, this.scanner.limits);
    } catch (err) {
      this.scanner.reset();
      this.refuseHead(asProxyError(err));
      return;
    }
    const rest = end < buf.length ? buf.subarray(end) : null;
    // An edge proxy does not tunnel CONNECT; the head itself was valid.
    if (req.method === 'CONNECT') return this.refuseHead(new ProxyError('PX_ERR_NOT_IMPLEMENTED', 'CONNECT'));
    const body: RequestBody | null = req.chunked ? new ChunkedBody(this.scanner.limits, req.names.length) : req.contentLength > 0 ? new LengthBody(req.contentLength) : null;
    // The body waits in the exchange until an upstream is connected; bodiless requests keep reading (pipelined
    // bytes are parked by holdPipelined, which pauses then). Bytes after a bodiless upgrade request stay parked
    // here too, reading paused: a 101 hands them to the tunnel (sendUpgrade), any other answer leaves them to be
    // parsed as the next request (exchangeDone), as tsgi-appserver and nginx do.
    if (body !== null || req.upgrade !== '') this.socket.pause();
    this.buf = body !== null ? null : rest;
    this.version = req.minor === 0 ? 'h1.0' : 'h1.1';
    this.takesRawChunked = req.minor === 1;
    this.state = 'exchange';
    const exchange = new Exchange(this.ctx, this, req, body, body !== null ? rest : null, req.keepAlive && !this.ctx.draining && !this.clientEnded && !this.last);
    this.exchange = exchange;
    exchange.start();
  }

  /** Answers a malformed request with its status and closes: nothing was forwarded. */
  private refuseHead(err: ProxyError): void {
    const code = codeOf(err);
    this.state = 'closed';
    this.ownDeadline = Infinity;
    this.ctx.onRecord(refusalRecord(this.peer, err.status ?? 400, code));
    this.refuse(this.ctx.errors.forCode(code, err.detail, false));
  }

  // ---- ClientSide ------------------------------------------------------------

  sendHead(head: OutgoingHead, framing: ClientFraming, keepAlive: boolean, first: Buffer | null, start: number, end: number): boolean {
    this.framing = framing;
    const via = this.ctx.config.forwarded.via;
    if (via !== this.viaFor) {
      this.viaFor = via;
      this.viaLine = `via: 1.1 ${via}\r\n`;
    }
    let framingLine = '';
    if (framing === 'length' || (framing === 'none' && head.contentLength >= 0)) framingLine = `content-length: ${head.contentLength}\r\n`;
    else if (framing === 'chunked' || framing === 'raw-chunked') framingLine = 'transfer-encoding: chunked\r\n';
    const conn = keepAlive ? (this.version === 'h1.0' ? 'connection: keep-alive\r\n' : '') : 'connection: close\r\n';
    const out = `HTTP/1.1 ${head.status} ${head.reason}\r\n${head.lines}${framingLine}${this.viaLine}${conn}\r\n`;
    const sock = this.socket;
    if (first === null || end <= start) return sock.write(out, 'latin1');
    const n = end - start;
    if (n <= ONE_WRITE && framing !== 'chunked') {
      // The common small response: head and body in one buffer, one write syscall.
      const headLen = out.length;
      const one = Buffer.allocUnsafe(headLen + n);
      one.write(out, 0, headLen, 'latin1');
      first.copy(one, headLen, start, end);
      return sock.write(one);
    }
    sock.cork();
    sock.write(out, 'latin1');
    const ok = framing === 'chunked' ? this.sendBody(first, start, end) : sock.write(first.subarray(start, end));
    process.nextTick(uncork, sock);
    return ok;
  }

  sendBody(buf: Buffer, start: number, end: number): boolean {
    const sock = this.socket;
    const part = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    if (this.framing !== 'chunked') return sock.write(part);
    return writeChunk(sock, part);
  }

  sendRaw(buf: Buffer, start: number, end: number): boolean {
    return this.socket.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  endBody(): void {
    if (this.tunnel) this.socket.end();
    else if (this.framing === 'chunked') this.socket.write(LAST_CHUNK);
  }

  sendUpgrade(reason: string, lines: string, first: Buffer, start: number): void {
    this.tunnel = true;
    this.socket.write(`HTTP/1.1 101 ${reason}\r\n${lines}connection: upgrade\r\n\r\n`, 'latin1');
    if (start < first.length) this.socket.write(first.subarray(start));
    // Client bytes parked while the upgrade was pending belong to the tunnel now.
    const held = this.buf;
    this.buf = null;
    if (held !== null) this.exchange?.requestData(held);
  }

  sendContinue(): void {
    this.socket.write(CONTINUE, 'latin1');
  }

  answer(a: LocalAnswer, close: boolean): void {
    this.socket.write(serializeAnswer(a, close));
  }

  refuse(a: LocalAnswer): void {
    if (this.socket.writable) this.socket.end(serializeAnswer(a, true));
    this.socket.destroySoon();
  }

  cut(): void {
    this.socket.destroy();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  holdPipelined(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.socket.pause();
    if (this.buf.length > this.scanner.limits.headBytes) this.socket.destroy();
  }

  exchangeDone(keepAlive: boolean): void {
    this.exchange = null;
    this.framing = 'none';
    if (this.state === 'closed') return;
    if (!keepAlive) {
      this.state = 'closed';
      this.ownDeadline = Infinity;
      if (!this.socket.writableEnded) this.socket.end();
      return;
    }
    this.state = 'idle';
    this.ownDeadline = Date.now() + this.ctx.config.timeouts.keepAlive;
    const pipelined = this.buf;
    if (pipelined !== null) {
      this.buf = null;
      this.onData(pipelined);
      if (this.state === 'idle' || this.state === 'reading-head') this.socket.resume();
    } else if (this.socket.isPaused()) {
      this.socket.resume();
    }
  }

  // ---- socket lifecycle, timeouts and drain -------------------------------------

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.exchange !== null) {
      this.exchange.clientEnded();
    } else if (this.state === 'idle' || this.state === 'reading-head') {
      this.state = 'closed';
      this.socket.end();
    }
  }

  private onClientClose(): void {
    this.state = 'closed';
    this.ownDeadline = Infinity;
    this.ctx.connections.delete(this);
    const exchange = this.exchange;
    this.exchange = null;
    if (exchange !== null) exchange.clientClosed();
  }

  /** Called by the worker's periodic sweep once `deadline` has passed. */
  onTimeout(now: number): void {
    if (this.exchange !== null) return this.exchange.onTimeout(now);
    switch (this.state) {
      case 'idle':
        this.state = 'closed';
        this.ownDeadline = Infinity;
        this.socket.destroy();
        return;
      case 'reading-head':
        return this.refuseHead(new ProxyError('PX_ERR_REQUEST_TIMEOUT', 'request head not received in time'));
      default:
        this.ownDeadline = Infinity;
    }
  }

  /** Cuts the connection (stop after the drain budget). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Drain: close now if no request is in progress; otherwise the response ends with Connection: close. */
  closeIfIdle(): boolean {
    if (this.exchange !== null) {
      this.exchange.keepAlive = false;
      return false;
    }
    if (this.state === 'idle' || this.state === 'closed') {
      this.state = 'closed';
      this.socket.destroy();
      return true;
    }
    this.last = true;
    return false;
  }
}
