import { ChunkedDecoder, LAST_CHUNK, writeChunk, type HeadLimits } from '@tsgi/http1';
import type { Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import { toProxyError } from '../wire.js';

/**
 * A request body on its way upstream, one class per client framing. `push`
 * forwards `buf[start..)` and returns where the body ended in `buf` (-1:
 * more to come); it throws a ProxyError (4xx) when the body breaks its
 * framing or the body limit, before the offending bytes go upstream.
 */
export interface RequestBody {
  push(buf: Buffer, start: number, up: Socket): number;
  /** Some body byte went upstream: the request can no longer be retried. */
  readonly streamed: boolean;
  /** The route's body limit, known after the edge checks (0: none). */
  maxBody: number;
  /**
   * Checks the body bytes that arrived with the head before anything is
   * forwarded (`complete`: they are the whole body), so a body that breaks
   * its framing or the limit there never reaches an upstream. Throws the 4xx.
   */
  check(rest: Buffer | null, maxBody: number, complete: boolean): void;
  /** The client's stream ended (HTTP/2 END_STREAM); throws when that leaves the body short. */
  finish?(up: Socket): void;
  /** The declared length (-1: chunked, or h2 without content-length). */
  readonly declared: number;
  /**
   * Checks body bytes held at the edge before any upstream connection (the
   * body is read whole first): where the body ends in `buf[start..)` (-1:
   * more to come). Throws the 4xx, so a bad body is refused with nothing forwarded.
   */
  scan(buf: Buffer, start: number): number;
  /** The client's stream ended while the body was held (HTTP/2 END_STREAM); throws when that leaves it short. */
  scanEnd?(): void;
  /** The data of a held body without a declared length (chunked, h2 without content-length), decoded by `scan`: sent with Content-Length. */
  readonly decoded?: Buffer[];
}

/** Content-Length framed: counted, passed on as is. */
export class LengthBody implements RequestBody {
  streamed = false;
  maxBody = 0;
  readonly declared: number;
  private unscanned: number;
  constructor(private remaining: number) {
    this.declared = remaining;
    this.unscanned = remaining;
  }

  scan(buf: Buffer, start: number): number {
    const take = Math.min(buf.length - start, this.unscanned);
    this.unscanned -= take;
    return this.unscanned === 0 ? start + take : -1;
  }

  push(buf: Buffer, start: number, up: Socket): number {
    const avail = buf.length - start;
    const take = avail < this.remaining ? avail : this.remaining;
    if (take > 0) {
      up.write(start === 0 && take === buf.length ? buf : buf.subarray(start, start + take));
      this.streamed = true;
    }
    this.remaining -= take;
    return this.remaining === 0 ? start + take : -1;
  }

  check(): void {}
}

/** Chunked from an HTTP/1.1 client: decoded strictly, re-framed upstream (extensions and trailers are not passed on). */
export class ChunkedBody implements RequestBody {
  streamed = false;
  maxBody = 0;
  readonly declared = -1;
  private readonly decoder: ChunkedDecoder;
  /** Checks and decodes the held body. */
  private probe: ChunkedDecoder | null = null;
  readonly decoded: Buffer[] = [];
  private readonly keep = (buf: Buffer, s: number, e: number): void => {
    this.decoded.push(buf.subarray(s, e));
  };
  private up: Socket | null = null;
  private readonly sink = (buf: Buffer, s: number, e: number): void => {
    if (this.up !== null) writeChunk(this.up, buf.subarray(s, e));
    this.streamed = true;
  };

  constructor(
    private readonly limits: HeadLimits,
    private readonly headFields: number,
  ) {
    this.decoder = new ChunkedDecoder(limits, headFields);
  }

  check(rest: Buffer | null, maxBody: number): void {
    if (rest !== null) prevalidateChunked(rest, this.limits, this.headFields, maxBody);
  }

  scan(buf: Buffer, start: number): number {
    const probe = (this.probe ??= new ChunkedDecoder(this.limits, this.headFields));
    const maxBody = this.maxBody;
    probe.maxDeclared = maxBody > 0 ? maxBody : Number.POSITIVE_INFINITY;
    let end: number;
    try {
      end = probe.push(buf, start, this.keep);
    } catch (err) {
      throw toProxyError(err);
    }
    if (maxBody > 0 && probe.total > maxBody) throw new ProxyError('PX_ERR_BODY_TOO_LARGE', `chunked body over ${maxBody}`);
    return end;
  }

  push(buf: Buffer, start: number, up: Socket): number {
    const maxBody = this.maxBody;
    // A chunk announcing more than the limit is refused before any of it goes upstream.
    this.decoder.maxDeclared = maxBody > 0 ? maxBody : Number.POSITIVE_INFINITY;
    this.up = up;
    let end: number;
    try {
      end = this.decoder.push(buf, start, this.sink);
    } catch (err) {
      throw toProxyError(err);
    }
    if (maxBody > 0 && this.decoder.total > maxBody) throw new ProxyError('PX_ERR_BODY_TOO_LARGE', `chunked body over ${maxBody}`);
    if (end >= 0) up.write(LAST_CHUNK);
    return end;
  }
}

/**
 * Checks the chunked body bytes that came with the head before anything is
 * forwarded, so a request with bad framing in its first packet never
 * reaches an upstream (later packets are checked as they stream). Throws
 * the 4xx ProxyError.
 */
export function prevalidateChunked(rest: Buffer, limits: HeadLimits, headFields: number, maxBody: number): void {
  const probe = new ChunkedDecoder(limits, headFields);
  if (maxBody > 0) probe.maxDeclared = maxBody;
  try {
    probe.push(rest, 0, ignore);
  } catch (err) {
    throw toProxyError(err);
  }
  if (maxBody > 0 && probe.total > maxBody) throw new ProxyError('PX_ERR_BODY_TOO_LARGE', `chunked body over ${maxBody}`);
}

function ignore(): void {}

/**
 * An HTTP/2 request body: DATA frames, already de-framed by nghttp2. With a
 * declared content-length the bytes are counted (more than declared is a
 * 400); without one they are re-framed as chunked. `finish` at END_STREAM.
 */
export class DataBody implements RequestBody {
  streamed = false;
  maxBody = 0;
  private received = 0;
  private scanned = 0;
  readonly decoded: Buffer[] | undefined;

  constructor(readonly declared: number) {
    if (declared < 0) this.decoded = [];
  }

  /** DATA is de-framed already: counted against content-length and the limit; the end is END_STREAM (`finish`). */
  scan(buf: Buffer, start: number): number {
    this.scanned += buf.length - start;
    if (this.decoded !== undefined && start < buf.length) this.decoded.push(start === 0 ? buf : buf.subarray(start));
    if (this.declared >= 0 && this.scanned > this.declared) throw new ProxyError('PX_ERR_BAD_REQUEST', 'DATA beyond content-length');
    if (this.maxBody > 0 && this.scanned > this.maxBody) throw new ProxyError('PX_ERR_BODY_TOO_LARGE', `body over ${this.maxBody}`);
    return -1;
  }

  check(rest: Buffer | null, maxBody: number, complete: boolean): void {
    const n = rest === null ? 0 : rest.length;
    if (this.declared >= 0 && (n > this.declared || (complete && n !== this.declared))) throw new ProxyError('PX_ERR_BAD_REQUEST', 'DATA does not match content-length');
    if (maxBody > 0 && n > maxBody) throw new ProxyError('PX_ERR_BODY_TOO_LARGE', `body over ${maxBody}`);
  }

  push(buf: Buffer, start: number, up: Socket): number {
    const n = buf.length - start;
    this.received += n;
    if (this.declared >= 0 && this.received > this.declared) throw new ProxyError('PX_ERR_BAD_REQUEST', 'DATA beyond content-length');
    if (this.maxBody > 0 && this.received > this.maxBody) throw new ProxyError('PX_ERR_BODY_TOO_LARGE', `body over ${this.maxBody}`);
    if (n === 0) return -1;
    if (this.declared >= 0) up.write(start === 0 ? buf : buf.subarray(start));
    else writeChunk(up, buf.subarray(start));
    this.streamed = true;
    return -1;
  }

  /** END_STREAM: the body is complete (a short one against its content-length is a 400). */
  finish(up: Socket): void {
    if (this.declared >= 0 && this.received !== this.declared) throw new ProxyError('PX_ERR_BAD_REQUEST', 'DATA shorter than content-length');
    if (this.declared < 0) up.write(LAST_CHUNK);
  }
}
