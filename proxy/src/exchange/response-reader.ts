import { messageOf } from '@tsgi/errors';
import { parseResponseHead, partialResponseHeadIsBad, type ResponseHead } from '@tsgi/http1';

/** What the upstream's bytes so far amount to. */
export type ReadResult =
  | { readonly kind: 'partial' }
  | { readonly kind: 'bad'; readonly detail: string }
  /** A 1xx other than 101: the caller relays 100 Continue when asked for, then reads on. */
  | { readonly kind: 'interim'; readonly head: ResponseHead }
  /** The final head (or 101); the body starts at `buf[start]`. */
  | { readonly kind: 'final'; readonly head: ResponseHead; readonly buf: Buffer; readonly start: number };

const PARTIAL: ReadResult = { kind: 'partial' };

/**
 * Collects an upstream response head across reads and parses it for
 * framing. A head that can never be valid (too large, a bare CR/LF or a
 * control byte) is reported as soon as the offending byte arrives, not
 * after the header timeout.
 */
export class ResponseHeadReader {
  private buf: Buffer | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly keepUpgrade: boolean,
  ) {}

  reset(): void {
    this.buf = null;
  }

  push(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next head in what was pushed; call again after an interim one. */
  next(): ReadResult {
    const buf = this.buf;
    if (buf === null) return PARTIAL;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      // Only an incomplete head pays for this check; a bare LF would otherwise wait out the header timeout.
      if (buf.length > this.maxBytes) return { kind: 'bad', detail: 'response head too large' };
      if (partialResponseHeadIsBad(buf)) return { kind: 'bad', detail: 'control byte or bare CR/LF in head' };
      return PARTIAL;
    }
    let head: ResponseHead;
    try {
      head = parseResponseHead(buf.toString('latin1', 0, end + 4), this.keepUpgrade);
    } catch (err) {
      return { kind: 'bad', detail: messageOf(err) };
    }
    const start = end + 4;
    if (head.status >= 200 || head.status === 101) {
      this.buf = null;
      return { kind: 'final', head, buf, start };
    }
    this.buf = start >= buf.length ? null : buf.subarray(start);
    return { kind: 'interim', head };
  }
}
