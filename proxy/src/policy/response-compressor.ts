import { constants, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';
import type { CompressionPolicy, Encoding } from './compression.js';

/** What the compressor tells the relay that feeds it. */
export interface CompressorEvents {
  /** Compressed bytes for the client; false: the client is full (zlib's output pauses until `resume`). */
  output(out: Buffer): boolean;
  /** zlib can take input again: resume the upstream socket. */
  writable(): void;
  /** The last compressed byte went out. */
  done(): void;
  /** zlib failed: the response can't be completed. */
  failed(): void;
}

/**
 * One response body compressed on its way to the client with a node:zlib
 * stream. Backpressure holds both ways: `write` returns false while zlib's
 * input is full (the caller pauses the upstream until `writable`), and
 * zlib's output is paused while the client is full (`resume` on its
 * drain). `flush` after each upstream read makes a streaming response
 * stream (a sync flush per network read, not per byte).
 */
export class ResponseCompressor {
  bytesIn = 0;
  bytesOut = 0;
  private readonly zip: Gzip | BrotliCompress;
  private finished = false;

  constructor(
    readonly encoding: Encoding,
    policy: CompressionPolicy,
    private readonly events: CompressorEvents,
  ) {
    this.zip =
      encoding === 'gzip'
        ? createGzip({ level: policy.gzipLevel })
        : createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: policy.brotliQuality, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
    this.zip.on('data', (out: Buffer) => this.onOutput(out));
    this.zip.on('drain', () => events.writable());
    this.zip.on('end', () => this.onEnd());
    this.zip.on('error', () => {
      this.destroy();
      events.failed();
    });
  }

  /** Takes upstream body bytes; false: wait for `writable` before sending more. */
  write(chunk: Buffer): boolean {
    this.bytesIn += chunk.length;
    return this.zip.write(chunk);
  }

  /** Pushes out what zlib holds so far, so a streamed body reaches the client as it arrives. */
  flush(): void {
    this.zip.flush(this.encoding === 'gzip' ? constants.Z_SYNC_FLUSH : constants.BROTLI_OPERATION_FLUSH);
  }

  /** The upstream body is complete: finish the stream; `done` follows once it is all written. */
  end(): void {
    this.zip.end();
  }

  /** The client drained. */
  resume(): void {
    if (!this.finished) this.zip.resume();
  }

  /** Client gone or response cut: free zlib's memory now. */
  destroy(): void {
    if (this.finished) return;
    this.finished = true;
    this.zip.destroy();
  }

  private onOutput(out: Buffer): void {
    if (this.finished) return;
    this.bytesOut += out.length;
    if (!this.events.output(out)) this.zip.pause();
  }

  private onEnd(): void {
    if (this.finished) return;
    this.finished = true;
    this.events.done();
  }
}
