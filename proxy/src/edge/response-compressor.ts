import type { Socket } from 'node:net';
import { constants, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';
import type { CompressionPolicy, Encoding } from './compression.js';

const LAST_CHUNK = '0\r\n\r\n';
const CRLF = '\r\n';

/** What the compressor tells its client connection. */
export interface CompressorEvents {
  /** zlib can take input again: resume the upstream socket. */
  writable(): void;
  /** The last compressed byte (and the last chunk) went to the client. */
  done(): void;
  /** zlib failed: the response can't be completed. */
  failed(): void;
}

/**
 * One response body compressed on its way to the client with a node:zlib
 * stream. Output is framed as chunked for HTTP/1.1 clients (close-delimited
 * for HTTP/1.0). Backpressure holds both ways: `write` returns false while
 * zlib's input is full (the caller pauses the upstream until `writable`),
 * and zlib's output is paused while the client socket is full (`resume` on
 * the socket's drain). `flush` after each upstream read makes a streaming
 * response stream (a sync flush per network read, not per byte).
 */
export class ResponseCompressor {
  bytesIn = 0;
  bytesOut = 0;
  private readonly zip: Gzip | BrotliCompress;
  private finished = false;

  constructor(
    readonly encoding: Encoding,
    policy: CompressionPolicy,
    private readonly socket: Socket,
    private readonly chunked: boolean,
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
    if (this.encoding === 'gzip') (this.zip as Gzip).flush(constants.Z_SYNC_FLUSH);
    else (this.zip as BrotliCompress).flush(constants.BROTLI_OPERATION_FLUSH);
  }

  /** The upstream body is complete: finish the stream; `done` follows once it is all written. */
  end(): void {
    this.zip.end();
  }

  /** The client socket drained. */
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
    const sock = this.socket;
    let ok: boolean;
    if (this.chunked) {
      sock.cork();
      sock.write(`${out.length.toString(16)}\r\n`, 'latin1');
      sock.write(out);
      ok = sock.write(CRLF, 'latin1');
      sock.uncork();
    } else {
      ok = sock.write(out);
    }
    if (!ok) this.zip.pause();
  }

  private onEnd(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.chunked) this.socket.write(LAST_CHUNK, 'latin1');
    this.events.done();
  }
}
