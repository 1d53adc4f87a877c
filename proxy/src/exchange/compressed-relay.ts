import type { ChunkedDecoder } from '@tsgi/http1';
import type { CompressionPolicy, Encoding } from '../policy/compression.js';
import { ResponseCompressor } from '../policy/response-compressor.js';
import { decodeChunks, ResponseOut, streamFraming, type BodyRelay, type RelayTarget } from './relays.js';

/** Where one compressed response is counted (the worker's metrics). */
export interface CompressionSink {
  onCompressed(encoding: Encoding, bytesIn: number, bytesOut: number): void;
}

/** How the upstream frames the body the compressor takes. */
export type UpstreamFraming = { kind: 'length'; remaining: number } | { kind: 'chunked'; decoder: ChunkedDecoder } | { kind: 'close' };

/**
 * A body compressed at the edge: the upstream body (any framing) goes
 * through zlib; the output is framed for the client (chunked, until close
 * for HTTP/1.0, DATA for HTTP/2). The upstream is freed as soon as its body
 * is in; the response is done when zlib has written its last byte.
 */
export class CompressedRelay implements BodyRelay {
  readonly out: ResponseOut;
  private readonly zip: ResponseCompressor;
  /** The compressor took every decoded chunk of the current read without asking to wait. */
  private zipOk = true;
  private upstreamDone = false;
  private readonly sink = (buf: Buffer, s: number, e: number): void => {
    if (!this.zip.write(buf.subarray(s, e))) this.zipOk = false;
  };

  constructor(
    target: RelayTarget,
    encoding: Encoding,
    policy: CompressionPolicy,
    private readonly upstreamFraming: UpstreamFraming,
    metrics: CompressionSink,
  ) {
    this.out = new ResponseOut(target, streamFraming(target.client));
    this.zip = new ResponseCompressor(encoding, policy, {
      output: (out) => {
        this.out.bytesOut += out.length;
        return this.out.client.sendBody(out, 0, out.length);
      },
      writable: () => {
        if (!this.upstreamDone) this.out.upstream.resume();
      },
      done: () => {
        metrics.onCompressed(this.zip.encoding, this.zip.bytesIn, this.zip.bytesOut);
        this.out.client.endBody();
        this.out.done.responseDone();
      },
      failed: () => this.out.done.broken('compression failed'),
    });
  }

  start(buf: Buffer, start: number): void {
    if (this.upstreamFraming.kind === 'chunked' && start < buf.length) {
      // Bad framing in the first bytes is still a clean 502: check before the head goes out.
      this.zipOk = true;
      const end = decodeChunks(this.upstreamFraming.decoder, buf, start, this.sink, this.out.done, true);
      if (end === null) {
        this.zip.destroy();
        return;
      }
      this.out.sendHead(null, 0, 0);
      this.afterChunks(end, buf.length);
      return;
    }
    this.out.sendHead(null, 0, 0);
    if (this.upstreamFraming.kind === 'length' && this.upstreamFraming.remaining === 0) this.bodyIn(buf.length > start);
    else if (start < buf.length) this.data(buf, start);
  }

  data(buf: Buffer, start: number): void {
    const f = this.upstreamFraming;
    if (f.kind === 'length') {
      const avail = buf.length - start;
      const take = avail < f.remaining ? avail : f.remaining;
      const ok = this.zip.write(start === 0 && take === buf.length ? buf : buf.subarray(start, start + take));
      f.remaining -= take;
      if (f.remaining === 0) this.bodyIn(avail > take);
      else {
        this.zip.flush();
        if (!ok) this.out.upstream.pause();
      }
      return;
    }
    if (f.kind === 'chunked') {
      this.zipOk = true;
      const end = decodeChunks(f.decoder, buf, start, this.sink, this.out.done, false);
      if (end === null) return;
      this.afterChunks(end, buf.length);
      return;
    }
    const ok = this.zip.write(start === 0 ? buf : buf.subarray(start));
    this.zip.flush();
    if (!ok) this.out.upstream.pause();
  }

  private afterChunks(end: number, length: number): void {
    if (end >= 0) {
      this.bodyIn(end < length);
      return;
    }
    this.zip.flush();
    if (!this.zipOk) this.out.upstream.pause();
  }

  /** The upstream body is complete: free the upstream now, finish when zlib has written everything. */
  private bodyIn(leftover: boolean): void {
    this.upstreamDone = true;
    this.out.done.upstreamDone(leftover);
    this.zip.end();
  }

  upstreamEnded(): void {
    if (this.upstreamFraming.kind === 'close' && !this.upstreamDone) this.bodyIn(true);
  }

  clientDrained(): void {
    this.zip.resume();
  }

  destroy(): void {
    // Frees zlib's native memory now, not at GC.
    this.zip.destroy();
  }
}
