import type { ChunkedDecoder } from '@tsgi/http1';
import type { CompressionPolicy, Encoding } from '../policy/compression.js';
import { ResponseCompressor } from '../policy/response-compressor.js';
import { decodeChunks, streamFraming, type BodyRelay, type RelayHost } from './relays.js';

/** How the upstream frames the body the compressor takes. */
export type UpstreamFraming = { kind: 'length'; remaining: number } | { kind: 'chunked'; decoder: ChunkedDecoder } | { kind: 'close' };

/**
 * A body compressed at the edge: the upstream body (any framing) goes
 * through zlib; the output is framed for the client (chunked, until close
 * for HTTP/1.0, DATA for HTTP/2). The upstream is freed as soon as its body
 * is in; the response is done when zlib has written its last byte.
 */
export class CompressedRelay implements BodyRelay {
  private readonly zip: ResponseCompressor;
  /** The compressor took every decoded chunk of the current read without asking to wait. */
  private zipOk = true;
  private upstreamDone = false;
  private readonly sink = (buf: Buffer, s: number, e: number): void => {
    if (!this.zip.write(buf.subarray(s, e))) this.zipOk = false;
  };

  constructor(
    private readonly host: RelayHost,
    encoding: Encoding,
    policy: CompressionPolicy,
    private readonly framing: UpstreamFraming,
  ) {
    this.zip = new ResponseCompressor(encoding, policy, {
      output: (out) => {
        this.host.bytesOut += out.length;
        return this.host.client.sendBody(out, 0, out.length);
      },
      writable: () => {
        if (!this.upstreamDone) this.host.resumeUpstream();
      },
      done: () => {
        this.host.compressed(this.zip.encoding, this.zip.bytesIn, this.zip.bytesOut);
        this.host.client.endBody();
        this.host.responseDone();
      },
      failed: () => this.host.broken('compression failed'),
    });
  }

  start(buf: Buffer, start: number): void {
    if (this.framing.kind === 'chunked' && start < buf.length) {
      // Bad framing in the first bytes is still a clean 502: check before the head goes out.
      this.zipOk = true;
      const end = decodeChunks(this.framing.decoder, buf, start, this.sink, this.host, true);
      if (end === null) {
        this.zip.destroy();
        return;
      }
      this.host.sendHead(streamFraming(this.host.client), null, 0, 0);
      this.afterChunks(end, buf.length);
      return;
    }
    this.host.sendHead(streamFraming(this.host.client), null, 0, 0);
    if (this.framing.kind === 'length' && this.framing.remaining === 0) this.bodyIn(buf.length > start);
    else if (start < buf.length) this.data(buf, start);
  }

  data(buf: Buffer, start: number): void {
    const f = this.framing;
    if (f.kind === 'length') {
      const avail = buf.length - start;
      const take = avail < f.remaining ? avail : f.remaining;
      const ok = this.zip.write(start === 0 && take === buf.length ? buf : buf.subarray(start, start + take));
      f.remaining -= take;
      if (f.remaining === 0) this.bodyIn(avail > take);
      else {
        this.zip.flush();
        if (!ok) this.host.pauseUpstream();
      }
      return;
    }
    if (f.kind === 'chunked') {
      this.zipOk = true;
      const end = decodeChunks(f.decoder, buf, start, this.sink, this.host, false);
      if (end === null) return;
      this.afterChunks(end, buf.length);
      return;
    }
    const ok = this.zip.write(start === 0 ? buf : buf.subarray(start));
    this.zip.flush();
    if (!ok) this.host.pauseUpstream();
  }

  private afterChunks(end: number, length: number): void {
    if (end >= 0) {
      this.bodyIn(end < length);
      return;
    }
    this.zip.flush();
    if (!this.zipOk) this.host.pauseUpstream();
  }

  /** The upstream body is complete: free the upstream now, finish when zlib has written everything. */
  private bodyIn(leftover: boolean): void {
    this.upstreamDone = true;
    this.host.upstreamBodyDone(leftover);
    this.zip.end();
  }

  upstreamEnded(): void {
    if (this.framing.kind === 'close' && !this.upstreamDone) this.bodyIn(true);
  }

  clientDrained(): void {
    this.zip.resume();
  }

  destroy(): void {
    // Frees zlib's native memory now, not at GC.
    this.zip.destroy();
  }
}
