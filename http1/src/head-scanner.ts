import { TCHAR } from './chars.js';
import { wireError } from './errors.js';
import { HEAD_CTL, fieldColon, lineEnd, valueEnd, valueStart } from './field-line.js';
import { parseContentLength } from './framing.js';
import type { HeadLimits } from './limits.js';
import { parseRequestLine } from './request-line.js';
import { isValidHost, splitTarget } from './request-target.js';

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** The number of bytes of empty lines (CRLF pairs) at `buf[start..]`, which RFC 9112 section 2.2 says to skip before a request line. */
export function leadingEmptyLines(buf: Buffer, start = 0): number {
  let i = start;
  while (i + 1 < buf.length && buf[i] === 13 && buf[i + 1] === 10) i += 2;
  return i - start;
}

/**
 * Finds where a request head ends while it arrives, and refuses at once the
 * bytes that can never become a valid head: a first byte that cannot start a
 * method, a bare CR or LF, a control byte, a complete request line or field
 * line that is malformed (`GET /` without a version), a line or head over its
 * limit. So a broken head is answered in the packet it came in, not at the
 * header timeout. Lines already checked are not checked again (one scanner
 * per connection, reset after each head).
 */
export class RequestHeadScanner {
  /** Bytes from the head's start already checked (complete lines only). */
  private checked = 0;
  /** Complete lines checked so far (the request line is the first). */
  private lines = 0;
  private sawHost = false;
  private sawLength = false;

  constructor(readonly limits: HeadLimits) {}

  reset(): void {
    this.checked = 0;
    this.lines = 0;
    this.sawHost = false;
    this.sawLength = false;
  }

  /**
   * `buf[start..]` is the head so far (leading empty lines already skipped).
   * Returns the index just past its CRLFCRLF, or -1 when more bytes are
   * needed. Throws a WireError when they can never form a valid head.
   */
  scan(buf: Buffer, start: number): number {
    const from = this.checked > 3 ? start + this.checked - 3 : start;
    const end = buf.indexOf(HEAD_END, from);
    if (end !== -1) {
      this.reset();
      // The full parse checks every line; only the size is decided here.
      if (end + 4 - start > this.limits.headBytes) throw this.tooLarge(buf, start);
      return end + 4;
    }
    this.checkPartial(buf, start);
    return -1;
  }

  private checkPartial(buf: Buffer, start: number): void {
    const limits = this.limits;
    const c0 = buf[start] ?? -1; // -1: no byte yet, never a tchar
    if (TCHAR[c0] !== 1 && !(c0 === 13 && start === buf.length - 1)) throw wireError('H1_ERR_NOT_HTTP');
    if (buf.length - start > limits.headBytes) throw this.tooLarge(buf, start);
    const text = buf.toString('latin1', start + this.checked);
    if (HEAD_CTL.test(text)) throw wireError('H1_ERR_BAD_LINE_ENDING', 'control byte in the head');
    let p = 0;
    for (;;) {
      const eol = lineEnd(text, p, text.length);
      if (eol === -1) break;
      if (this.lines === 0) {
        if (eol > limits.requestLine) throw wireError('H1_ERR_URI_TOO_LONG', `over ${limits.requestLine} bytes`);
        const line = parseRequestLine(text, 0, eol);
        splitTarget(line.target, line.method);
      } else {
        if (this.lines > limits.fields) throw wireError('H1_ERR_TOO_MANY_FIELDS', `more than ${limits.fields}`);
        this.checkField(text, p, fieldColon(text, p, eol, limits.fieldLine), eol);
      }
      this.lines++;
      p = eol + 2;
    }
    this.checked += p;
    // The line still arriving, its CR allowed for.
    const partial = text.length - p;
    if (this.lines === 0 && partial > limits.requestLine + 1) throw wireError('H1_ERR_URI_TOO_LONG', `over ${limits.requestLine} bytes`);
    if (this.lines > 0 && partial > 0) {
      if (partial + 1 > limits.fieldLine) throw wireError('H1_ERR_FIELD_TOO_LARGE', `over ${limits.fieldLine} bytes`);
      const c = text.charCodeAt(p);
      if (c === 0x20 || c === 0x09) throw wireError('H1_ERR_BAD_FIELD', 'obsolete line folding');
    }
  }

  /** The field rules one line can already break: a bad or second Content-Length, a bad or second Host (parseRequestHead applies the same). */
  private checkField(text: string, pos: number, colon: number, eol: number): void {
    const n = colon - pos;
    if (n !== 4 && n !== 14) return;
    const name = text.slice(pos, colon).toLowerCase();
    const vs = valueStart(text, colon, eol);
    const value = text.slice(vs, valueEnd(text, vs, eol));
    if (name === 'content-length') {
      if (this.sawLength) throw wireError('H1_ERR_BAD_CONTENT_LENGTH', 'more than one Content-Length');
      parseContentLength(value);
      this.sawLength = true;
    } else if (name === 'host') {
      if (this.sawHost) throw wireError('H1_ERR_BAD_HOST', 'more than one Host');
      if (!isValidHost(value)) throw wireError('H1_ERR_BAD_HOST', 'invalid Host');
      this.sawHost = true;
    }
  }

  private tooLarge(buf: Buffer, start: number): Error {
    const lf = buf.indexOf(10, start);
    if (lf === -1 || lf - start - 1 > this.limits.requestLine) return wireError('H1_ERR_URI_TOO_LONG', `over ${this.limits.requestLine} bytes`);
    return wireError('H1_ERR_HEAD_TOO_LARGE', `over ${this.limits.headBytes} bytes`);
  }
}
