import type { ClientInfo } from '../listener/edge-listener.js';
import type { LocalAnswer } from '../policy/error-answers.js';

/**
 * How body bytes handed to a client side are framed on its wire: by the
 * Content-Length in the head, re-chunked (HTTP/1.1), until the connection
 * closes (HTTP/1.0), or not at all (no body: HEAD, 204, 304, errors with
 * their body in the head buffer). HTTP/2 frames every body as DATA.
 */
export type ClientFraming = 'length' | 'chunked' | 'raw-chunked' | 'close' | 'none';

/** A response head as the exchange builds it; field lines are `name: value\r\n`, hop-by-hop fields already removed. */
export interface OutgoingHead {
  status: number;
  reason: string;
  /** Field lines, framing (content-length / transfer-encoding) and connection lines excluded. */
  lines: string;
  /** Declared Content-Length for the client, -1 when the body is not length-framed. */
  contentLength: number;
}

/**
 * What an exchange needs of the client it answers, implemented once per
 * codec (HTTP/1.1 over a socket, one HTTP/2 stream). The exchange never
 * sees wire bytes of the client protocol: it gives heads, body bytes and
 * ends; the codec frames them.
 */
export interface ClientSide {
  /** The client's address as logged and forwarded. */
  readonly peer: string;
  readonly info: ClientInfo;
  /** 'h1.0' cannot take chunked bodies; 'h2' frames every body itself. */
  readonly version: 'h1.0' | 'h1.1' | 'h2';
  /** The codec passes a validated upstream chunked body through as its raw bytes (HTTP/1.1 keep-alive clients). */
  readonly takesRawChunked: boolean;
  /**
   * Sends the response head, with `first[start..end)` as the first body
   * bytes in the same write; `keepAlive` is the exchange's decision for
   * HTTP/1.1 (ignored by h2). Returns false when the client is full.
   */
  sendHead(head: OutgoingHead, framing: ClientFraming, keepAlive: boolean, first: Buffer | null, start: number, end: number): boolean;
  /** Body bytes, framed as sendHead's framing says. False: wait for `clientDrained`. */
  sendBody(buf: Buffer, start: number, end: number): boolean;
  /** Raw chunked bytes of a body already validated by the decoder (only when takesRawChunked). */
  sendRaw(buf: Buffer, start: number, end: number): boolean;
  /** Ends the body (last chunk, END_STREAM); for a tunnel, half-closes the client side. */
  endBody(): void;
  /** The 101 head of an upgrade; after it bytes go both ways through sendRaw / the codec's tunnel input. */
  sendUpgrade(reason: string, lines: string, first: Buffer, start: number): void;
  /** Relays a 100 Continue. */
  sendContinue(): void;
  /** A complete answer; `close` ends the connection after it (HTTP/1.1). */
  answer(a: LocalAnswer, close: boolean): void;
  /** A complete answer to a request refused before routing, then close (nothing was forwarded). */
  refuse(a: LocalAnswer): void;
  /** A response cannot complete: cut so a truncated body never looks whole. */
  cut(): void;
  pauseReading(): void;
  resumeReading(): void;
  /** The exchange is over: the codec goes on with the next request or closes. */
  exchangeDone(keepAlive: boolean): void;
  /** Client bytes that follow the request body (pipelining): the codec keeps them for the next exchange. */
  holdPipelined(buf: Buffer): void;
}
