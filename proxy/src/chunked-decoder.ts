import { proxyError, type ProxyError } from './errors.js';

const enum S {
  Size,
  SizeExt,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerLine,
  TrailerLf,
  FinalLf,
  Done,
}

const MAX_SIZE_DIGITS = 12;
const MAX_TRAILER_BYTES = 8192;
/** RFC 9110 tchar, by byte. */
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[ch.charCodeAt(0)] = 1;

/**
 * Strict incremental decoder for chunked bodies. `push` reports each data
 * segment through `onData` (slices of the input, never copied) and returns
 * the index just past the final CRLF once the body is complete, -1 when more
 * input is needed. Bad framing (non-hex sizes, bare CR or LF, controls in
 * extensions or trailers, trailer names that are not tokens or lack a colon,
 * over-long sizes) throws PX_ERR_BAD_CHUNK; a trailer section over 8 KiB or
 * over the field budget throws PX_ERR_HEADERS_TOO_LARGE (431). The caller
 * decides whether that is a 4xx (request) or a cut (response).
 */
export class ChunkedDecoder {
  private state = S.Size;
  private digits = 0;
  private remaining = 0;
  private trailerBytes = 0;
  private fieldBudget = Infinity;
  /** Total data bytes seen so far. */
  total = 0;
  /** Data bytes the chunk-size lines announced so far (counted before any of a chunk's data is emitted). */
  declared = 0;
  /** A chunk announcing more than this in total throws PX_ERR_BODY_TOO_LARGE (413) before its data is emitted. */
  maxDeclared = Number.POSITIVE_INFINITY;

  constructor(private readonly onData: (buf: Buffer, start: number, end: number) => void) {}

  /** Starts a new body; `maxTrailerFields` is what is left of the message's field limit after its head. */
  reset(maxTrailerFields = Infinity): void {
    this.state = S.Size;
    this.digits = 0;
    this.remaining = 0;
    this.trailerBytes = 0;
    this.fieldBudget = maxTrailerFields;
    this.total = 0;
    this.declared = 0;
  }

  get done(): boolean {
    return this.state === S.Done;
  }

  push(buf: Buffer, start: number): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      const c = buf[i];
      switch (this.state) {
        case S.Size: {
          const h = hexValue(c);
          if (h >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) throw bad('chunk size too long');
            this.remaining = this.remaining * 16 + h;
            i++;
          } else if (this.digits === 0) {
            throw bad('chunk size is not hex');
          } else if (c === 13) {
            this.state = S.SizeLf;
            i++;
          } else if (c === 59 /* ; */) {
            this.state = S.SizeExt;
            i++;
          } else {
            throw bad('invalid byte after chunk size');
          }
          break;
        }
        case S.SizeExt:
          if (c === 13) this.state = S.SizeLf;
          else if (c < 32 && c !== 9) throw bad('control byte in chunk extension');
          else if (c === 127) throw bad('control byte in chunk extension');
          i++;
          break;
        case S.SizeLf:
          if (c !== 10) throw bad('bare CR in chunk size line');
          i++;
          this.digits = 0;
          if (this.remaining === 0) {
            this.state = S.TrailerStart;
          } else {
            this.declared += this.remaining;
            if (this.declared > this.maxDeclared) {
              throw proxyError('PX_ERR_BODY_TOO_LARGE', `chunks announce ${this.declared} bytes, over the limit of ${this.maxDeclared}`);
            }
            this.state = S.Data;
          }
          break;
        case S.Data: {
          const take = Math.min(this.remaining, n - i);
          this.onData(buf, i, i + take);
          this.total += take;
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = S.DataCr;
          break;
        }
        case S.DataCr:
          if (c !== 13) throw bad('chunk data longer than its size');
          this.state = S.DataLf;
          i++;
          break;
        case S.DataLf:
          if (c !== 10) throw bad('bare CR after chunk data');
          this.state = S.Size;
          i++;
          break;
        case S.TrailerStart:
          if (c === 13) {
            this.state = S.FinalLf;
          } else {
            if (c > 127 || TCHAR[c] === 0) throw bad('malformed trailer');
            if (--this.fieldBudget < 0) throw proxyError('PX_ERR_HEADERS_TOO_LARGE', 'too many header and trailer fields');
            this.state = S.TrailerName;
          }
          i++;
          break;
        case S.TrailerName:
          if (++this.trailerBytes > MAX_TRAILER_BYTES) throw proxyError('PX_ERR_HEADERS_TOO_LARGE', 'trailer section too large');
          if (c === 58 /* : */) this.state = S.TrailerLine;
          else if (c > 127 || TCHAR[c] === 0) throw bad('invalid trailer field name');
          i++;
          break;
        case S.TrailerLine:
          if (++this.trailerBytes > MAX_TRAILER_BYTES) throw proxyError('PX_ERR_HEADERS_TOO_LARGE', 'trailer section too large');
          if (c === 13) this.state = S.TrailerLf;
          else if ((c < 32 && c !== 9) || c === 127) throw bad('control byte in trailer');
          i++;
          break;
        case S.TrailerLf:
          if (c !== 10) throw bad('bare CR in trailer');
          this.state = S.TrailerStart;
          i++;
          break;
        case S.FinalLf:
          if (c !== 10) throw bad('bare CR at end of chunked body');
          this.state = S.Done;
          return i + 1;
        case S.Done:
          return i;
      }
    }
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function bad(detail: string): ProxyError {
  return proxyError('PX_ERR_BAD_CHUNK', detail);
}
