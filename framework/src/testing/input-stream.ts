import type { InputStream } from '@tsgi/gateway';

/** A `tsgi.input` over bytes held in memory (what the test client sends). */
export class BufferInputStream implements InputStream {
  private readonly data: Uint8Array;
  private offset = 0;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  async read(size?: number): Promise<Uint8Array> {
    const end = size === undefined ? this.data.length : Math.min(this.data.length, this.offset + Math.max(0, size));
    const chunk = this.data.subarray(this.offset, end);
    this.offset = end;
    return chunk;
  }

  async readLine(limit?: number): Promise<Uint8Array> {
    const newline = this.data.indexOf(10, this.offset);
    let end = newline === -1 ? this.data.length : newline + 1;
    if (limit !== undefined) end = Math.min(end, this.offset + Math.max(0, limit));
    const chunk = this.data.subarray(this.offset, end);
    this.offset = end;
    return chunk;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read(64 * 1024);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }
}
