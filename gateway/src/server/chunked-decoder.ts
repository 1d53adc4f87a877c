import { ProtocolError } from '../errors.js';
import type { RequestLimits } from '../server-types.js';

const enum State {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  Done,
}

/** Longest chunk-size line (size and extensions) accepted. */
const MAX_SIZE_LINE = 4096;
/** 13 hex digits: 2^52, beyond any body limit and exact as a JS number. */
const MAX_HEX_DIGITS = 13;

/** tchar (RFC 9110 section 5.6.2): what a field name is made of. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function badChunk(message: string): ProtocolError {
  return new ProtocolError('GW_ERR_BAD_CHUNK', `Bad Request: ${message}`, 400);
}

/**
 * Decodes a chunked request body (RFC 9112 section 7.1) from raw socket
 * bytes, strictly: bad sizes, extensions with control bytes, missing CRLF
 * after data and malformed trailers are refused (SRV-6). Data is returned as
 * subarrays of the input, never copied.
 */
export class ChunkedDecoder {
  /** Where decoding stopped in the last buffer passed to next(). */
  pos = 0;
  done = false;
  private state = State.Size;
  private size = 0;
  private digits = 0;
  private lineLen = 0;
  private total = 0;
  private trailers = 0;
  private inQuote = false;
  private sawSemi = false;
  /** The current trailer line reached its colon (the value has begun). */
  private inValue = false;

  /**
   * `headFields`: fields the request head had; trailer fields count toward
   * the same `limits.fields` as the head's, as one field section.
   */
  constructor(
    private readonly limits: RequestLimits,
    private readonly headFields = 0,
  ) {}

  /**
   * Decodes from `buf[start..]`: returns the next piece of body data, or
   * null when the buffer ran out (or the body ended: see `done`).
   */
  next(buf: Buffer, start: number): Buffer | null {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Data: {
          const take = Math.min(this.size, n - i);
          this.size -= take;
          if (this.size === 0) this.state = State.DataCr;
          this.pos = i + take;
          return buf.subarray(i, i + take);
        }
        case State.Size: {
          const c = buf[i];
          const v = hexValue(c);
          if (v !== -1) {
            if (++this.digits > MAX_HEX_DIGITS) throw badChunk('chunk size too large');
            this.size = this.size * 16 + v;
            i++;
            break;
          }
          if (this.digits === 0) throw badChunk('missing chunk size');
          if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.state = State.Ext;
            this.lineLen = this.digits;
            break;
          }
          if (c === 0x0d) {
            this.state = State.SizeLf;
            i++;
            break;
          }
          throw badChunk('invalid chunk size');
        }
        case State.Ext: {
          const c = buf[i];
          if (++this.lineLen > MAX_SIZE_LINE) throw badChunk('chunk extension too long');
          if (!this.sawSemi) {
            // Only whitespace (BWS) may sit between the size and the first ';'.
            if (c === 0x3b) this.sawSemi = true;
            else if (c !== 0x20 && c !== 0x09) throw badChunk('invalid chunk extension');
            i++;
            break;
          }
          if (c === 0x22) this.inQuote = !this.inQuote;
          if (c === 0x0d && !this.inQuote) {
            this.state = State.SizeLf;
          } else if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
            throw badChunk('control character in a chunk extension');
          }
          i++;
          break;
        }
        case State.SizeLf: {
          if (buf[i] !== 0x0a) throw badChunk('chunk size line not ended by CRLF');
          i++;
          this.digits = 0;
          this.sawSemi = false;
          this.inQuote = false;
          if (this.size === 0) {
            this.state = State.Trailer;
            this.lineLen = 0;
          } else {
            this.total += this.size;
            if (this.total > this.limits.body) {
              throw new ProtocolError('GW_ERR_BODY_TOO_LARGE', `Content Too Large: request body over ${this.limits.body} bytes`, 413);
            }
            this.state = State.Data;
          }
          break;
        }
        case State.DataCr:
          if (buf[i] !== 0x0d) throw badChunk('chunk data not followed by CRLF');
          this.state = State.DataLf;
          i++;
          break;
        case State.DataLf:
          if (buf[i] !== 0x0a) throw badChunk('chunk data not followed by CRLF');
          this.state = State.Size;
          this.size = 0;
          i++;
          break;
        case State.Trailer: {
          // A trailer field is held to the same grammar as a head field (RFC 9112 section 7.1.2): token name, colon, value.
          const c = buf[i];
          i++;
          if (c === 0x0d) {
            this.state = State.TrailerLf;
            break;
          }
          if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw badChunk('control character in a trailer');
          if (++this.lineLen > this.limits.fieldSize) {
            throw new ProtocolError('GW_ERR_HEADERS_TOO_LARGE', 'Request Header Fields Too Large: trailer line too long', 431);
          }
          if (this.inValue) break;
          if (c === 0x3a) {
            if (this.lineLen === 1) throw badChunk('trailer field with an empty name');
            this.inValue = true;
          } else if (TCHAR[c] !== 1) {
            throw badChunk(this.lineLen === 1 && (c === 0x20 || c === 0x09) ? 'obsolete line folding in a trailer' : 'invalid trailer field name');
          }
          break;
        }
        case State.TrailerLf: {
          if (buf[i] !== 0x0a) throw badChunk('trailer line not ended by CRLF');
          i++;
          if (this.lineLen === 0) {
            this.state = State.Done;
            this.done = true;
            this.pos = i;
            return null;
          }
          if (!this.inValue) throw badChunk('trailer line without a colon');
          if (++this.trailers + this.headFields > this.limits.fields) {
            throw new ProtocolError('GW_ERR_HEADERS_TOO_LARGE', `Request Header Fields Too Large: more than ${this.limits.fields} header and trailer fields`, 431);
          }
          this.lineLen = 0;
          this.inValue = false;
          this.state = State.Trailer;
          break;
        }
        case State.Done:
          this.pos = i;
          return null;
      }
    }
    this.pos = i;
    return null;
  }
}
