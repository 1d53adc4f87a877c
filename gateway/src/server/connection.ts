import type { Socket } from 'node:net';
import { GATEWAY_ERRORS, GatewayError, ProtocolError, type GatewayErrorCode } from '../errors.js';
import type { ServerHooks } from '../server-types.js';
import type { App, ErrorStream } from '../types.js';
import { buildEnviron, type PeerInfo } from './environ.js';
import { errorResponse } from './error-response.js';
import { Exchange } from './exchange.js';
import type { ExchangeHost } from './exchange-ports.js';
import { BodyInput, EMPTY_PUMP } from './input-stream.js';
import type { RequestHead } from './request-head.js';
import { RequestReader, type ReaderHost } from './request-reader.js';
import { ResponseWriter, type WriterHost } from './response-writer.js';
import type { ResolvedOptions } from './server-options.js';

/** What every connection of one server shares. */
export interface Engine {
  readonly app: App;
  readonly opts: ResolvedOptions;
  readonly connections: Set<Connection>;
  inFlight: number;
  draining: boolean;
}

export const enum Deadline {
  None,
  Head,
  Idle,
  Drain,
  Linger,
  /** The app waits for request body bytes that do not come (nginx client_body_timeout). */
  Body,
  /** A response write waits for a client that does not read (nginx send_timeout). */
  Send,
}

/** How long a closing connection may linger for the client's FIN before it is destroyed. */
const LINGER_MS = 2000;

/**
 * One client connection of the reference server: its lifecycle (keep-alive,
 * timeouts, client FIN, graceful close) and running each request the reader
 * finds. Parsing lives in RequestReader, response framing in ResponseWriter.
 */
export class Connection implements ExchangeHost, ReaderHost, WriterHost {
  deadline = 0;
  deadlineKind = Deadline.None;
  /** The socket closed. */
  closed = false;
  /** The client sent FIN. */
  peerEnded = false;

  private exchange: Exchange | null = null;
  /** Unsent response bytes when the send timeout was armed: less at the deadline means the client is reading. */
  private sendMark = 0;
  private readonly peer: PeerInfo;
  private readonly reader: RequestReader;
  private readonly out: ResponseWriter;

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
    this.reader = new RequestReader(this, socket, engine.opts.limits, engine.opts.headLimits);
    this.out = new ResponseWriter(this, socket, engine.opts.keepAliveTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.reader.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.out.onDrain());
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

  // ---- ReaderHost ----

  startRequest(head: RequestHead): void {
    const opts = this.engine.opts;
    if (head.contentLength > opts.limits.body) {
      throw new ProtocolError('GW_ERR_BODY_TOO_LARGE', `body of ${head.contentLength} bytes over the limit of ${opts.limits.body}`);
    }
    const hasBody = head.chunked || head.contentLength > 0;
    const environ = buildEnviron(head, this.peer, opts, new BodyInput(hasBody ? this.reader : EMPTY_PUMP, opts.input));
    if (environ === null) throw new ProtocolError('GW_ERR_BAD_PATH', 'path is not valid percent-encoded UTF-8 or holds a NUL');
    this.setDeadline(Deadline.None, 0);
    this.out.begin(head.version === 'HTTP/1.0', head.keepAlive && !this.engine.draining);
    this.reader.beginBody(head, hasBody);
    const exchange = new Exchange(this, environ, this.out, head.method === 'HEAD', performance.now());
    this.exchange = exchange;
    this.engine.inFlight++;
    exchange.run(this.engine.app);
  }

  /** Refuses a request before any app ran (SRV-4, SRV-6): status, short text, Connection: close. */
  refuse(err: unknown): void {
    let status: number = GATEWAY_ERRORS.GW_ERR_INTERNAL.status;
    let code: GatewayErrorCode = 'GW_ERR_INTERNAL';
    let message: string = GATEWAY_ERRORS.GW_ERR_INTERNAL.text;
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

  keepAliveLost(): void {
    this.out.keepAlive = false;
  }

  armHeadTimeout(): void {
    if (this.deadlineKind !== Deadline.Head) this.setDeadline(Deadline.Head, this.engine.opts.headersTimeoutMs);
  }

  armDrainTimeout(): void {
    if (this.deadlineKind !== Deadline.Drain) this.setDeadline(Deadline.Drain, this.engine.opts.keepAliveTimeoutMs);
  }

  armIdleTimeout(): void {
    this.setDeadline(Deadline.Idle, this.engine.opts.keepAliveTimeoutMs);
  }

  armBodyTimeout(): void {
    this.setDeadline(Deadline.Body, this.engine.opts.bodyTimeoutMs);
  }

  clearBodyTimeout(): void {
    if (this.deadlineKind === Deadline.Body) this.setDeadline(Deadline.None, 0);
  }

  // ---- WriterHost (timeouts) ----

  armSendTimeout(): void {
    this.sendMark = this.socket.writableLength;
    this.setDeadline(Deadline.Send, this.engine.opts.sendTimeoutMs);
  }

  clearSendTimeout(): void {
    if (this.deadlineKind === Deadline.Send) this.setDeadline(Deadline.None, 0);
  }

  // ---- WriterHost ----

  mustClose(): boolean {
    return this.engine.draining || this.peerEnded || this.reader.blocksKeepAlive();
  }

  // ---- lifecycle ----

  /**
   * The client sent FIN. Like node:http (without httpAllowHalfOpen) this
   * counts as going away: a request under way is aborted (APP-3 close() runs
   * now, not at the next failed write) and our side closes once flushed.
   */
  private onEnd(): void {
    this.peerEnded = true;
    this.reader.abortPull(true);
    if (this.exchange !== null) this.exchange.abort();
    else this.closeGracefully();
  }

  private onClose(): void {
    this.closed = true;
    this.reader.stop();
    this.engine.connections.delete(this);
    this.reader.abortPull(false);
    this.out.onDrain();
    this.exchange?.abort();
  }

  /** Called by the server's sweep when `deadline` passed. */
  onDeadline(): void {
    const kind = this.deadlineKind;
    this.setDeadline(Deadline.None, 0);
    if (this.closed) return;
    switch (kind) {
      case Deadline.Head:
        if (this.reader.buffered && this.exchange === null) {
          this.refuse(new ProtocolError('GW_ERR_HEADERS_TIMEOUT', `head not complete within ${this.engine.opts.headersTimeoutMs} ms`));
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
      case Deadline.Send:
        this.onSendTimeout();
        break;
      case Deadline.Body:
        this.onBodyTimeout();
        break;
      default:
        break;
    }
  }

  /**
   * sendTimeoutMs passed while response bytes waited for the client. Like
   * nginx's send_timeout it bounds the gap between the client's reads, not
   * the whole transfer: if the unsent bytes shrank, the client is reading
   * and the timeout restarts; if they did not, the connection is closed.
   */
  private onSendTimeout(): void {
    const left = this.socket.writableLength;
    if (left === 0 && this.reader.stopped) this.setDeadline(Deadline.Linger, LINGER_MS);
    else if (left > 0 && left < this.sendMark) this.armSendTimeout();
    else this.socket.destroy();
  }

  /**
   * The app waited bodyTimeoutMs for body bytes that never came. Before the
   * response started, its read fails with a 408 ProtocolError, which the
   * exchange answers (Connection: close) unless the app handles it; after,
   * there is no way to tell the client, so the connection is closed.
   */
  private onBodyTimeout(): void {
    const exchange = this.exchange;
    const err = new ProtocolError('GW_ERR_BODY_TIMEOUT', `no request body bytes for ${this.engine.opts.bodyTimeoutMs} ms`);
    if (exchange !== null && !exchange.responseStarted && this.reader.failPull(err)) return;
    this.socket.destroy();
  }

  /**
   * Graceful stop. Busy connections close after their response. Idle
   * keep-alive connections are not closed at once: a client may be writing a
   * request into one right now, and closing under it loses that request. They
   * close at their idle deadline (which clients know from the Keep-Alive
   * header and avoid), and any request that still arrives is answered with
   * Connection: close. New connections get the same treatment under their head deadline.
   */
  drainIdle(): void {
    if (this.exchange === null && this.deadlineKind === Deadline.None) this.closeGracefully();
  }

  destroy(): void {
    this.socket.destroy();
  }

  closeGracefully(): void {
    if (this.reader.stopped || this.closed) return;
    this.reader.stop();
    this.out.keepAlive = false;
    this.socket.end();
    if (this.socket.writableLength > 0) {
      // The response is still going out: a client that reads it slowly gets all of it; one that stops
      // reading is cut by the send timeout. The linger for its FIN starts once everything is flushed.
      this.armSendTimeout();
      this.socket.once('finish', () => {
        if (this.deadlineKind === Deadline.Send) this.setDeadline(Deadline.Linger, LINGER_MS);
      });
    } else {
      this.setDeadline(Deadline.Linger, LINGER_MS);
    }
    // Keep reading (and discarding) until the client closes, so unread bytes do not turn our FIN into a RST.
    if (this.socket.isPaused()) this.socket.resume();
  }

  // ---- ExchangeHost ----

  exchangeDone(): void {
    this.engine.inFlight--;
    this.exchange = null;
    this.reader.endPull();
    if (this.closed) return;
    if (!this.out.keepAlive || this.engine.draining || this.peerEnded) {
      this.closeGracefully();
      return;
    }
    this.reader.afterResponse();
  }
}
