import type { ChunkedDecoder } from '@tsgi/http1';
import type { Socket } from 'node:net';
import { messageOf } from '@tsgi/errors';
import type { ClientFraming, ClientSide, OutgoingHead } from './client-side.js';

/** The only calls a relay makes back into its exchange. */
export interface RelayDone {
  /** The upstream body is complete; `leftover`: bytes followed it, so the socket is out of sync. */
  upstreamDone(leftover: boolean): void;
  /** The client has the whole response. */
  responseDone(): void;
  /** The upstream body broke its framing (before the head: a clean 502; after: a cut). */
  broken(detail: string): void;
}

/** What a relay is given: the client it writes to, the head it sends first, the upstream socket it pauses, and `done`. */
export interface RelayTarget {
  readonly client: ClientSide;
  readonly head: OutgoingHead;
  /** The exchange's keep-alive decision for HTTP/1.1 when the head goes out (a 'close' framing overrides it). */
  readonly keepAlive: boolean;
  /** Paused while the client is full, resumed when it drains. */
  readonly upstream: Pick<Socket, 'pause' | 'resume'>;
  readonly done: RelayDone;
}

/** What a chunked decoder calls with each decoded span of body bytes. */
type ChunkSink = (buf: Buffer, start: number, end: number) => void;

/**
 * Decodes one upstream read; on broken framing tells `done` (with the
 * decoder's reason in the first bytes, before the head went out; a fixed
 * one later, when it only cuts the response) and returns null.
 */
export function decodeChunks(decoder: ChunkedDecoder, buf: Buffer, start: number, sink: ChunkSink, done: RelayDone, firstBytes: boolean): number | null {
  try {
    return decoder.push(buf, start, sink);
  } catch (err) {
    done.broken(firstBytes ? messageOf(err) : 'bad chunked framing');
    return null;
  }
}

/**
 * One response body on its way to the client, one class per upstream
 * framing. `start` sends the head (with the body bytes that came with it
 * when that saves a write); `data` takes later upstream reads.
 */
export interface BodyRelay {
  /** Its framing (known when the relay is made), whether the head went out, and the bytes sent. */
  readonly out: ResponseOut;
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

/**
 * The response side every relay holds (composition, not a base class): the
 * client and upstream it moves bytes between, its `done`, the head it sends
 * once, and what the exchange reads back (framing, head sent, bytes out).
 */
export class ResponseOut {
  headSent = false;
  /** Body bytes sent to the client (access log). */
  bytesOut = 0;
  readonly client: ClientSide;
  readonly upstream: Pick<Socket, 'pause' | 'resume'>;
  readonly done: RelayDone;
  private readonly head: OutgoingHead;
  private readonly keepAlive: boolean;

  constructor(
    target: RelayTarget,
    /** How the client's side frames the body ('close' ends the client connection). */
    readonly framing: ClientFraming,
  ) {
    this.client = target.client;
    this.upstream = target.upstream;
    this.done = target.done;
    this.head = target.head;
    // Without framing the body ends with the connection.
    this.keepAlive = target.keepAlive && framing !== 'close';
  }

  /** Sends the response head with `first[start..end)` as the first body bytes; false: client full. */
  sendHead(first: Buffer | null, start: number, end: number): boolean {
    this.headSent = true;
    return this.client.sendHead(this.head, this.framing, this.keepAlive, first, start, end);
  }
}

/** HEAD, 204, 304: the head is the whole response. */
export class NoBodyRelay implements BodyRelay {
  readonly out: ResponseOut;
  constructor(
    target: RelayTarget,
    /** The upstream announced a body anyway (204/304 with a length or chunked): its socket cannot be reused. */
    private readonly desync: boolean,
  ) {
    this.out = new ResponseOut(target, 'none');
  }
  start(buf: Buffer, start: number): void {
    this.out.sendHead(null, 0, 0);
    // A body on a 204/304 (or any byte after it) would desync the socket.
    this.out.client.endBody();
    this.out.done.upstreamDone(this.desync || start < buf.length);
    this.out.done.responseDone();
  }
  data(): void {}
  upstreamEnded(): void {}
  clientDrained(): void {}
  destroy(): void {}
}

/** Upstream body framed by Content-Length: bytes counted and passed on. */
export class LengthRelay implements BodyRelay {
  readonly out: ResponseOut;
  constructor(
    target: RelayTarget,
    private remaining: number,
  ) {
    this.out = new ResponseOut(target, 'length');
  }

  start(buf: Buffer, start: number): void {
    const avail = buf.length - start;
    if (this.remaining === 0) {
      this.out.sendHead(null, 0, 0);
      this.finish(avail > 0);
      return;
    }
    // The body bytes that came with the head go out with it (one buffer when small, one corked write otherwise).
    const take = avail < this.remaining ? avail : this.remaining;
    const ok = this.out.sendHead(take > 0 ? buf : null, start, start + take);
    this.advance(take, avail > take, ok);
  }

  data(buf: Buffer, start: number): void {
    const avail = buf.length - start;
    const take = avail < this.remaining ? avail : this.remaining;
    const ok = this.out.client.sendBody(buf, start, start + take);
    this.advance(take, avail > take, ok);
  }

  private advance(take: number, leftover: boolean, ok: boolean): void {
    this.out.bytesOut += take;
    this.remaining -= take;
    if (this.remaining === 0) this.finish(leftover);
    else if (!ok) this.out.upstream.pause();
  }

  private finish(leftover: boolean): void {
    this.out.client.endBody();
    this.out.done.upstreamDone(leftover);
    this.out.done.responseDone();
  }

  upstreamEnded(): void {}
  clientDrained(): void {
    this.out.upstream.resume();
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
  readonly out: ResponseOut;
  private held: Buffer[] | null = null;
  private ok = true;
  private readonly raw: boolean;
  private readonly sink = (buf: Buffer, s: number, e: number): void => {
    if (this.held !== null) this.held.push(buf.subarray(s, e));
    else if (!this.raw) {
      this.out.bytesOut += e - s;
      if (!this.out.client.sendBody(buf, s, e)) this.ok = false;
    }
  };

  constructor(
    target: RelayTarget,
    private readonly decoder: ChunkedDecoder,
  ) {
    this.out = new ResponseOut(target, target.client.takesRawChunked ? 'raw-chunked' : streamFraming(target.client));
    this.raw = target.client.takesRawChunked;
  }

  start(buf: Buffer, start: number): void {
    if (start >= buf.length) {
      if (!this.out.sendHead(null, 0, 0)) this.out.upstream.pause();
      return;
    }
    this.held = [];
    const end = decodeChunks(this.decoder, buf, start, this.sink, this.out.done, true);
    if (end === null) {
      this.held = null;
      return;
    }
    const held = this.held;
    this.held = null;
    const stop = end < 0 ? buf.length : end;
    let ok: boolean;
    if (this.raw) {
      ok = this.out.sendHead(buf, start, stop);
      this.out.bytesOut += stop - start;
    } else {
      ok = this.out.sendHead(null, 0, 0);
      for (const b of held) {
        ok = this.out.client.sendBody(b, 0, b.length) && ok;
        this.out.bytesOut += b.length;
      }
    }
    this.after(end, buf.length, ok);
  }

  data(buf: Buffer, start: number): void {
    this.ok = true;
    const end = decodeChunks(this.decoder, buf, start, this.sink, this.out.done, false);
    if (end === null) return;
    let ok = this.ok;
    if (this.raw) {
      const stop = end < 0 ? buf.length : end;
      ok = this.out.client.sendRaw(buf, start, stop);
      this.out.bytesOut += stop - start;
    }
    this.after(end, buf.length, ok);
  }

  private after(end: number, length: number, ok: boolean): void {
    if (end >= 0) {
      this.out.client.endBody();
      this.out.done.upstreamDone(end < length);
      this.out.done.responseDone();
    } else if (!ok) {
      this.out.upstream.pause();
    }
  }

  upstreamEnded(): void {}
  clientDrained(): void {
    this.out.upstream.resume();
  }
  destroy(): void {
    this.held = null;
  }
}

/** Upstream body delimited by its close: re-chunked for HTTP/1.1 clients, passed on until close otherwise. */
export class UntilCloseRelay implements BodyRelay {
  readonly out: ResponseOut;
  constructor(target: RelayTarget) {
    this.out = new ResponseOut(target, streamFraming(target.client));
  }

  start(buf: Buffer, start: number): void {
    const ok = this.out.sendHead(start < buf.length ? buf : null, start, buf.length);
    this.out.bytesOut += buf.length - start;
    if (!ok) this.out.upstream.pause();
  }

  data(buf: Buffer, start: number): void {
    this.out.bytesOut += buf.length - start;
    if (!this.out.client.sendBody(buf, start, buf.length)) this.out.upstream.pause();
  }

  upstreamEnded(): void {
    this.out.client.endBody();
    this.out.done.upstreamDone(true);
    this.out.done.responseDone();
  }

  clientDrained(): void {
    this.out.upstream.resume();
  }
  destroy(): void {}
}
