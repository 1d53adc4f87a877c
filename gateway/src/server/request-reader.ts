import type { Socket } from 'node:net';
import { ChunkedDecoder, RequestHeadScanner, leadingEmptyLines, parseRequestHead, type HeadLimits } from '@tsgi/http1';
import { ProtocolError } from '../errors.js';
import type { RequestLimits } from '../server-types.js';
import { CONTINUE_100 } from './error-response.js';
import type { BodyPump } from './input-stream.js';
import { fromWireHead, type RequestHead } from './request-head.js';
import { toProtocolError } from './wire-errors.js';

/** What a request reader asks of its connection. */
export interface ReaderHost {
  /** The socket closed. */
  readonly closed: boolean;
  /** The client sent FIN. */
  readonly peerEnded: boolean;
  /** A complete head arrived: run its request. Throws (a ProtocolError) to refuse it. */
  startRequest(head: RequestHead): void;
  /** Answers a request that cannot be run with an error response, then closes (SRV-4, SRV-6). */
  refuse(err: unknown): void;
  closeGracefully(): void;
  /** The request body cannot be trusted to end where it should: the connection must not be reused. */
  keepAliveLost(): void;
  /** A head is partly read: start its timeout unless it runs already. */
  armHeadTimeout(): void;
  /** An unread body is being discarded: start its timeout unless it runs already. */
  armDrainTimeout(): void;
  /** Waiting for the next request on a kept-alive connection. */
  armIdleTimeout(): void;
  /** The app waits for body bytes: (re)start the gap timeout between them. */
  armBodyTimeout(): void;
  /** The app's wait for body bytes is over. */
  clearBodyTimeout(): void;
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

/** Unread bytes buffered before the socket is paused (INPUT-3). */
const HIGH_WATER = 64 * 1024;
/** An unread body up to this size is read and discarded to keep the connection; beyond it the connection closes. */
const DRAIN_MAX = 256 * 1024;

function inputAborted(): ProtocolError {
  return new ProtocolError('GW_ERR_INPUT_ABORTED', 'the request body was cut off');
}

/**
 * The incoming byte stream of one connection: splits it into request heads
 * and bodies (Content-Length or chunked), hands body bytes to the app as it
 * pulls (INPUT-3, with socket backpressure), discards what the app left
 * unread, and picks up pipelined requests.
 */
export class RequestReader implements BodyPump {
  private buf: Buffer | null = null;
  private state = Read.Head;
  private decoder: ChunkedDecoder | null = null;
  private remaining = 0;
  private bodyDone = true;
  private continuePending = false;
  private parsing = false;
  private pullResolve: ((chunk: Buffer | null) => void) | null = null;
  private pullReject: ((err: unknown) => void) | null = null;
  private readonly scanner: RequestHeadScanner;

  constructor(
    private readonly host: ReaderHost,
    private readonly socket: Socket,
    private readonly limits: Readonly<RequestLimits>,
    private readonly headLimits: HeadLimits,
  ) {
    this.scanner = new RequestHeadScanner(headLimits);
  }

  /** Bytes are buffered that no request took yet. */
  get buffered(): boolean {
    return this.buf !== null;
  }

  /** stop() was called: incoming bytes are discarded. */
  get stopped(): boolean {
    return this.state === Read.Closing;
  }

  /**
   * True when the next request could not be read after this response: a
   * 100-continue was never sent (the client may or may not send the body),
   * or the unread body is chunked or too large to discard.
   */
  blocksKeepAlive(): boolean {
    return this.continuePending || (!this.bodyDone && (this.decoder !== null || this.remaining > DRAIN_MAX));
  }

  onData(chunk: Buffer): void {
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
      while (this.state === Read.Head && this.buf !== null && !this.host.closed) {
        const buf = this.buf;
        // RFC 9112 section 2.2: empty lines before a request line are ignored.
        const start = leadingEmptyLines(buf);
        if (start >= buf.length) {
          this.buf = null;
          break;
        }
        // Refuses a head that can never complete as soon as its bytes show it (no wait for the timeout).
        const end = this.scanner.scan(buf, start);
        if (end === -1) {
          if (start > 0) this.buf = buf.subarray(start);
          this.host.armHeadTimeout();
          break;
        }
        const head = parseRequestHead(buf, start, end, this.headLimits);
        this.buf = end < buf.length ? buf.subarray(end) : null;
        this.host.startRequest(fromWireHead(head));
      }
    } catch (err) {
      this.scanner.reset();
      this.host.refuse(toProtocolError(err));
    } finally {
      this.parsing = false;
    }
  }

  /** Sets up reading the body of a request whose head was just taken. */
  beginBody(head: RequestHead, hasBody: boolean): void {
    if (head.chunked) {
      this.decoder = new ChunkedDecoder(this.headLimits, head.fields.length / 2);
      this.decoder.maxDeclared = this.limits.body;
    } else {
      this.decoder = null;
    }
    this.remaining = head.chunked ? 0 : Math.max(head.contentLength, 0);
    this.bodyDone = !hasBody;
    this.state = hasBody ? Read.Body : Read.Wait;
    this.continuePending = hasBody && head.expectContinue;
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
    this.host.keepAliveLost();
    this.bodyDone = true;
    this.buf = null;
    if (this.state === Read.Body) this.state = Read.Wait;
  }

  pull(): Buffer | null | Promise<Buffer | null> {
    if (this.bodyDone) return null;
    if (this.continuePending) {
      this.continuePending = false;
      if (!this.host.closed) this.socket.write(CONTINUE_100);
    }
    let chunk: Buffer | null | undefined;
    try {
      chunk = this.takeBody();
    } catch (err) {
      this.bodyFailed();
      throw toProtocolError(err);
    }
    if (chunk !== undefined) return chunk;
    if (this.host.closed || this.host.peerEnded) return Promise.reject(inputAborted());
    if (this.socket.isPaused()) this.socket.resume();
    this.host.armBodyTimeout();
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
      this.host.clearBodyTimeout();
      this.bodyFailed();
      reject(toProtocolError(err));
      return;
    }
    if (chunk === undefined) {
      // Bytes came (framing only, e.g. part of a chunk-size line): the gap restarts.
      this.host.armBodyTimeout();
      return;
    }
    this.pullResolve = this.pullReject = null;
    this.host.clearBodyTimeout();
    resolve(chunk);
  }

  /** The response is over: a pending pull gets the end of the body. */
  endPull(): void {
    if (this.pullResolve !== null) {
      const resolve = this.pullResolve;
      this.pullResolve = this.pullReject = null;
      this.host.clearBodyTimeout();
      resolve(null);
    }
  }

  /** The client went away: a pending pull fails; `failed` also marks the body broken. */
  abortPull(failed: boolean): void {
    if (this.pullReject !== null) {
      const reject = this.pullReject;
      this.pullResolve = this.pullReject = null;
      this.host.clearBodyTimeout();
      if (failed) this.bodyFailed();
      reject(inputAborted());
    }
  }

  /** The body stopped coming (body timeout): a pending pull fails with `err` and the body is broken. False: no pull was pending. */
  failPull(err: unknown): boolean {
    const reject = this.pullReject;
    if (reject === null) return false;
    this.pullResolve = this.pullReject = null;
    this.bodyFailed();
    reject(err);
    return true;
  }

  /** The response is over and the connection stays: discard what is left of the body, then read the next request. */
  afterResponse(): void {
    if (!this.bodyDone) {
      this.state = Read.Drain;
      this.drainBody();
      return;
    }
    this.nextRequest();
  }

  private drainBody(): void {
    try {
      while (this.buf !== null && !this.bodyDone) this.takeBody();
    } catch {
      this.host.closeGracefully();
      return;
    }
    if (this.bodyDone) {
      this.nextRequest();
      return;
    }
    this.host.armDrainTimeout();
    if (this.socket.isPaused()) this.socket.resume();
  }

  private nextRequest(): void {
    this.state = Read.Head;
    this.decoder = null;
    this.bodyDone = true;
    this.host.armIdleTimeout();
    if (this.socket.isPaused()) this.socket.resume();
    // Inside parseHeads (the app answered synchronously) its loop picks up the next pipelined head.
    if (this.buf !== null && !this.parsing) this.parseHeads();
  }

  /** Stops reading requests: buffered and further bytes are discarded. */
  stop(): void {
    this.state = Read.Closing;
    this.buf = null;
  }
}
