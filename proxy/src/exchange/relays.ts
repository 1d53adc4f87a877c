import { messageOf } from '@tsgi/errors';
import type { ChunkedDecoder } from '@tsgi/http1';
import type { ClientFraming, ClientSide } from '../codec/client-side.js';
import type { Encoding } from '../policy/compression.js';

/** What a relay needs of its exchange. */
export interface RelayHost {
  readonly client: ClientSide;
  /** Body bytes sent to the client (access log). */
  bytesOut: number;
  /** Sends the response head with `first[start..end)` as the first body bytes; false: client full. */
  sendHead(framing: ClientFraming, first: Buffer | null, start: number, end: number): boolean;
  pauseUpstream(): void;
  resumeUpstream(): void;
  /** The upstream body is complete; `leftover`: bytes followed it, so the socket is out of sync. */
  upstreamBodyDone(leftover: boolean): void;
  /** The client has the whole response. */
  responseDone(): void;
  /** One response compressed at the edge (metrics). */
  compressed(encoding: Encoding, bytesIn: number, bytesOut: number): void;
  /** The upstream body broke its framing (before the head: a clean 502; after: a cut). */
  broken(detail: string): void;
}

/** What a chunked decoder calls with each decoded span of body bytes. */
type ChunkSink = (buf: Buffer, start: number, end: number) => void;

/**
 * Decodes one upstream read; on broken framing tells the host (with the
 * decoder's reason in the first bytes, before the head went out; a fixed
 * one later, when it only cuts the response) and returns null.
 */
export function decodeChunks(decoder: ChunkedDecoder, buf: Buffer, start: number, sink: ChunkSink, host: RelayHost, firstBytes: boolean): number | null {
  try {
    return decoder.push(buf, start, sink);
  } catch (err) {
    host.broken(firstBytes ? messageOf(err) : 'bad chunked framing');
    return null;
  }
}

/**
 * One response body on its way to the client, one class per upstream
 * framing. `start` sends the head (with the body bytes that came with it
 * when that saves a write); `data` takes later upstream reads.
 */
export interface BodyRelay {
  start(buf: Buffer, start: number): void;
  data(buf: Buffer, start: number): void;
  /** The upstream sent FIN. */
  upstreamEnded(): void;
  clientDrained(): void;
  /** Client gone or response cut: free what the relay holds. */
  destroy(): void;
}

/** A body of unknown length: chunked for HTTP/1.1 and HTTP/2 (DATA), until close for HTTP/1.0. */
export function streamFraming(client: ClientSide): ClientFraming {
  return client.version === 'h1.0' ? 'close' : 'chunked';
}

/** HEAD, 204, 304: the head is the whole response. */
export class NoBodyRelay implements BodyRelay {
  constructor(
    private readonly host: RelayHost,
    /** The upstream announced a body anyway (204/304 with a length or chunked): its socket cannot be reused. */
    private readonly desync: boolean,
  ) {}
  start(buf: Buffer, start: number): void {
    this.host.sendHead('none', null, 0, 0);
    // A body on a 204/304 (or any byte after it) would desync the socket.
    this.host.client.endBody();
    this.host.upstreamBodyDone(this.desync || start < buf.length);
    this.host.responseDone();
  }
  data(): void {}
  upstreamEnded(): void {}
  clientDrained(): void {}
  destroy(): void {}
}

/** Upstream body framed by Content-Length: bytes counted and passed on. */
export class LengthRelay implements BodyRelay {
  constructor(
    private readonly host: RelayHost,
    private remaining: number,
  ) {}

  start(buf: Buffer, start: number): void {
    const avail = buf.length - start;
    if (this.remaining === 0) {
      this.host.sendHead('length', null, 0, 0);
      this.finish(avail > 0);
      return;
    }
    // The body bytes that came with the head go out with it (one buffer when small, one corked write otherwise).
    const take = avail < this.remaining ? avail : this.remaining;
    const ok = this.host.sendHead('length', take > 0 ? buf : null, start, start + take);
    this.advance(take, avail > take, ok);
  }

  data(buf: Buffer, start: number): void {
    const avail = buf.length - start;
    const take = avail < this.remaining ? avail : this.remaining;
    const ok = this.host.client.sendBody(buf, start, start + take);
    this.advance(take, avail > take, ok);
  }

  private advance(take: number, leftover: boolean, ok: boolean): void {
    this.host.bytesOut += take;
    this.remaining -= take;
    if (this.remaining === 0) this.finish(leftover);
    else if (!ok) this.host.pauseUpstream();
  }

  private finish(leftover: boolean): void {
    this.host.client.endBody();
    this.host.upstreamBodyDone(leftover);
    this.host.responseDone();
  }

  upstreamEnded(): void {}
  clientDrained(): void {
    this.host.resumeUpstream();
  }
  destroy(): void {}
}

/**
 * Upstream body framed as chunked, checked by the strict decoder. Clients
 * that take chunked bytes get them as they came (after the check); others
 * (HTTP/1.0, HTTP/2) get the decoded data. The bytes that come with the
 * head are decoded before the head is written, so bad framing there is
 * still a clean 502 the exchange may retry.
 */
export class ChunkedRelay implements BodyRelay {
  private held: Buffer[] | null = null;
  private ok = true;
  private readonly raw: boolean;
  private readonly sink = (buf: Buffer, s: number, e: number): void => {
    if (this.held !== null) this.held.push(buf.subarray(s, e));
    else if (!this.raw) {
      this.host.bytesOut += e - s;
      if (!this.host.client.sendBody(buf, s, e)) this.ok = false;
    }
  };

  constructor(
    private readonly host: RelayHost,
    private readonly decoder: ChunkedDecoder,
  ) {
    this.raw = host.client.takesRawChunked;
  }

  start(buf: Buffer, start: number): void {
    if (start >= buf.length) {
      if (!this.host.sendHead(this.raw ? 'raw-chunked' : streamFraming(this.host.client), null, 0, 0)) this.host.pauseUpstream();
      return;
    }
    this.held = [];
    const end = decodeChunks(this.decoder, buf, start, this.sink, this.host, true);
    if (end === null) {
      this.held = null;
      return;
    }
    const held = this.held;
    this.held = null;
    const stop = end < 0 ? buf.length : end;
    let ok: boolean;
    if (this.raw) {
      ok = this.host.sendHead('raw-chunked', buf, start, stop);
      this.host.bytesOut += stop - start;
    } else {
      ok = this.host.sendHead(streamFraming(this.host.client), null, 0, 0);
      for (const b of held) {
        ok = this.host.client.sendBody(b, 0, b.length) && ok;
        this.host.bytesOut += b.length;
      }
    }
    this.after(end, buf.length, ok);
  }

  data(buf: Buffer, start: number): void {
    this.ok = true;
    const end = decodeChunks(this.decoder, buf, start, this.sink, this.host, false);
    if (end === null) return;
    let ok = this.ok;
    if (this.raw) {
      const stop = end < 0 ? buf.length : end;
      ok = this.host.client.sendRaw(buf, start, stop);
      this.host.bytesOut += stop - start;
    }
    this.after(end, buf.length, ok);
  }

  private after(end: number, length: number, ok: boolean): void {
    if (end >= 0) {
      this.host.client.endBody();
      this.host.upstreamBodyDone(end < length);
      this.host.responseDone();
    } else if (!ok) {
      this.host.pauseUpstream();
    }
  }

  upstreamEnded(): void {}
  clientDrained(): void {
    this.host.resumeUpstream();
  }
  destroy(): void {
    this.held = null;
  }
}

/** Upstream body delimited by its close: re-chunked for HTTP/1.1 clients, passed on until close otherwise. */
export class UntilCloseRelay implements BodyRelay {
  constructor(private readonly host: RelayHost) {}

  start(buf: Buffer, start: number): void {
    const ok = this.host.sendHead(streamFraming(this.host.client), start < buf.length ? buf : null, start, buf.length);
    this.host.bytesOut += buf.length - start;
    if (!ok) this.host.pauseUpstream();
  }

  data(buf: Buffer, start: number): void {
    this.host.bytesOut += buf.length - start;
    if (!this.host.client.sendBody(buf, start, buf.length)) this.host.pauseUpstream();
  }

  upstreamEnded(): void {
    this.host.client.endBody();
    this.host.upstreamBodyDone(true);
    this.host.responseDone();
  }

  clientDrained(): void {
    this.host.resumeUpstream();
  }
  destroy(): void {}
}
