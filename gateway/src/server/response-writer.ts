import type { Socket } from 'node:net';
import { LAST_CHUNK, writeChunk } from '@tsgi/http1';
import type { ResponseHeaders } from '../types.js';
import { errorResponse } from './error-response.js';
import type { ResponseSink } from './exchange-ports.js';
import { dateHeaderLine } from './http-date.js';

/** What a response writer asks of its connection. */
export interface WriterHost {
  /** The socket closed: output is dropped. */
  readonly closed: boolean;
  /** True when the connection cannot outlive the response, whatever the request asked for (SRV-7). */
  mustClose(): boolean;
  /** A write waits for the client to read: start the send timeout. */
  armSendTimeout(): void;
  /** The client read (drain) or went away. */
  clearSendTimeout(): void;
}

/** Bodies up to this size are copied behind the head into a single write. */
const COALESCE_MAX = 16 * 1024;
const RESOLVED = Promise.resolve();

function uncork(socket: Socket): void {
  socket.uncork();
}

/**
 * Response framing for one connection: status line and head, then a
 * Content-Length, chunked or close-delimited body (SRV-1, SRV-5), and the
 * keep-alive decision (SRV-7). One per connection, reset by begin() per request.
 */
export class ResponseWriter implements ResponseSink {
  /** Whether the connection outlives the current response. */
  keepAlive = true;

  private version10 = false;
  private chunkedOut = false;
  private drainPromise: Promise<void> | null = null;
  private drainResolve: (() => void) | null = null;

  /** Ends a keep-alive head: tells clients when we close idle connections so they stop reusing them first. */
  private readonly keepAliveEnd11: string;
  private readonly keepAliveEnd10: string;

  constructor(
    private readonly host: WriterHost,
    private readonly socket: Socket,
    keepAliveTimeoutMs: number,
  ) {
    const hint = `Keep-Alive: timeout=${Math.max(1, Math.floor(keepAliveTimeoutMs / 1000))}\r\n`;
    this.keepAliveEnd11 = `${hint}\r\n`;
    this.keepAliveEnd10 = `Connection: keep-alive\r\n${hint}\r\n`;
  }

  /** Starts the response to a new request. */
  begin(version10: boolean, keepAlive: boolean): void {
    this.version10 = version10;
    this.keepAlive = keepAlive;
    this.chunkedOut = false;
  }

  /** The socket drained or closed: wakes a pending waitDrain(). */
  onDrain(): void {
    const resolve = this.drainResolve;
    if (resolve === null) return;
    this.drainResolve = null;
    this.drainPromise = null;
    this.host.clearSendTimeout();
    resolve();
  }

  private headText(status: string, headers: ResponseHeaders): string {
    let head = `HTTP/1.1 ${status}\r\n`;
    let appDate = false;
    for (const h of headers) {
      head += `${h[0]}: ${h[1]}\r\n`;
      // Date is a singleton field (RFC 9110 §6.6.1): the app's own one wins, as in node:http.
      if (h[0].length === 4 && h[0].toLowerCase() === 'date') appDate = true;
    }
    return appDate ? head : head + dateHeaderLine();
  }

  /** Decides whether the connection outlives this response (SRV-7) and ends the head. */
  private headEnd(): string {
    if (this.keepAlive && this.host.mustClose()) this.keepAlive = false;
    if (!this.keepAlive) return 'Connection: close\r\n\r\n';
    return this.version10 ? this.keepAliveEnd10 : this.keepAliveEnd11;
  }

  sendAll(_code: number, status: string, headers: ResponseHeaders, addLength: number, chunks: Uint8Array[] | null): void {
    if (this.host.closed) return;
    let head = this.headText(status, headers);
    if (addLength >= 0) head += `Content-Length: ${addLength}\r\n`;
    head += this.headEnd();
    const socket = this.socket;
    if (chunks === null) {
      socket.write(head, 'latin1');
    } else if (chunks.length === 1 && chunks[0]!.length <= COALESCE_MAX) {
      const body = chunks[0]!;
      const out = Buffer.allocUnsafe(head.length + body.length);
      out.write(head, 0, 'latin1');
      out.set(body, head.length);
      socket.write(out);
    } else {
      socket.cork();
      socket.write(head, 'latin1');
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    }
  }

  sendHead(_code: number, status: string, headers: ResponseHeaders, fixed: boolean, noBody: boolean): void {
    if (this.host.closed) return;
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
    if (this.host.closed) return true;
    const socket = this.socket;
    if (!this.chunkedOut) return socket.write(chunk);
    return writeChunk(socket, chunk);
  }

  waitDrain(): Promise<void> {
    if (this.host.closed || !this.socket.writableNeedDrain) return RESOLVED;
    if (this.drainPromise === null) {
      this.host.armSendTimeout();
      this.drainPromise = new Promise((resolve) => {
        this.drainResolve = resolve;
      });
    }
    return this.drainPromise;
  }

  endBody(complete: boolean): void {
    if (this.chunkedOut && !this.host.closed) this.socket.write(LAST_CHUNK);
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
    if (!this.host.closed) this.socket.write(errorResponse(code, message));
  }
}
