import { constants, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';

/**
 * One response's compressor on a node:zlib stream, driven chunk by chunk:
 * push() resolves with the compressed bytes produced for that chunk (all of
 * them when `flush` is set, so a streamed response still streams), finish()
 * with the trailer. Operations are serialised, so write() calls and body
 * chunks keep their order. The caller awaits each step before pulling the
 * next chunk, which is what gives backpressure end to end.
 */
export class StreamCompressor {
  private readonly z: Gzip | BrotliCompress;
  private readonly flushKind: number;
  private out: Buffer[] = [];
  private outBytes = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  constructor(coding: 'br' | 'gzip', level: number) {
    if (coding === 'br') {
      this.z = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: level } });
      this.flushKind = constants.BROTLI_OPERATION_FLUSH;
    } else {
      this.z = createGzip({ level });
      this.flushKind = constants.Z_SYNC_FLUSH;
    }
    // Output is collected as it appears: if it sat in the readable buffer
    // past its high-water mark, zlib would pause and the write callback we
    // wait for would never come.
    this.z.on('readable', () => this.collect());
    this.z.on('error', (e: Error) => {
      this.failure = e;
    });
  }

  private collect(): void {
    let c: Buffer | null;
    while ((c = this.z.read() as Buffer | null) !== null) {
      this.out.push(c);
      this.outBytes += c.length;
    }
  }

  private take(): Uint8Array {
    this.collect();
    const out = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    return out;
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op);
    this.tail = next.catch(() => undefined);
    return next;
  }

  push(chunk: Uint8Array, flush: boolean): Promise<Uint8Array> {
    return this.enqueue(
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          const done = (err?: Error | null) => (err || this.failure ? reject(err ?? this.failure) : resolve(this.take()));
          if (flush) {
            this.z.write(chunk);
            this.z.flush(this.flushKind, () => done());
          } else {
            this.z.write(chunk, done);
          }
        }),
    );
  }

  finish(): Promise<Uint8Array> {
    return this.enqueue(
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          this.z.once('end', () => resolve(this.take()));
          this.z.once('error', reject);
          this.z.end();
        }),
    );
  }

  destroy(): void {
    this.z.destroy();
  }
}
