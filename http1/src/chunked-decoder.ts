import { QDTEXT, TCHAR, hexValue } from './chars.js';
import { wireError } from './errors.js';
import type { HeadLimits } from './limits.js';

const enum S {
  Size,
  /** Whitespace after the size: only a ';' may follow. */
  SizeBws,
  /** After ';', before an extension name. */
  ExtBws,
  ExtName,
  /** After a name: ';', '=' or the CR. */
  ExtNameEnd,
  /** After '=', before the value. */
  ExtValBws,
  ExtToken,
  ExtQuoted,
  ExtQuotedPair,
  /** After a value: ';' or the CR. */
  ExtValEnd,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  FinalLf,
  Done,
}

/** Longest chunk-size line (size and extensions). */
const MAX_SIZE_LINE = 4096;
/** 13 hex digits: 2^52, beyond any body limit and exact as a JS number. */
const MAX_HEX_DIGITS = 13;
/** Trailer fields that would change framing or routing after the fact (RFC 9110 section 6.5.1). */
const FORBIDDEN_TRAILERS = new Set(['content-length', 'transfer-encoding', 'host', 'trailer']);

/** Receives decoded data as `buf[start..end)`, never copied. */
export type ChunkSink = (buf: Buffer, start: number, end: number) => void;

/**
 * Strict incremental decoder of chunked bodies (RFC 9112 section 7.1):
 * hex sizes, extensions by their grammar (a name is required, quoted values
 * must close), CRLF exactly, trailers held to the field grammar and to the
 * head's limits (fields counted with the head's). Data comes out as
 * subarrays of the input. Errors are WireErrors: H1_ERR_BAD_CHUNK (400),
 * H1_ERR_FIELD_TOO_LARGE / H1_ERR_TOO_MANY_FIELDS / H1_ERR_HEAD_TOO_LARGE
 * (431), H1_ERR_BODY_TOO_LARGE (413) when the sizes announce more than
 * `maxDeclared`, before any of that chunk's data is emitted.
 */
export class ChunkedDecoder {
  /** Where decoding stopped in the last buffer given to next(). */
  pos = 0;
  /** Data bytes emitted so far. */
  total = 0;
  /** Data bytes the size lines announced so far. */
  declared = 0;
  /** Sizes announcing more than this in total throw H1_ERR_BODY_TOO_LARGE. */
  maxDeclared = Number.POSITIVE_INFINITY;
  private state = S.Size;
  private size = 0;
  private digits = 0;
  private lineLen = 0;
  private trailerBytes = 0;
  private fieldBudget: number;
  private trailerName = '';
  private dataStart = 0;
  private dataEnd = 0;

  /** `headFields`: fields the head had; trailers count toward the same limit. */
  constructor(
    private readonly limits: HeadLimits,
    headFields = 0,
  ) {
    this.fieldBudget = limits.fields - headFields;
  }

  /** Starts a new body. */
  reset(headFields = 0): void {
    this.state = S.Size;
    this.size = 0;
    this.digits = 0;
    this.lineLen = 0;
    this.trailerBytes = 0;
    this.fieldBudget = this.limits.fields - headFields;
    this.total = 0;
    this.declared = 0;
    this.pos = 0;
  }

  get done(): boolean {
    return this.state === S.Done;
  }

  /** Decodes from `buf[start..]`: the next piece of data, or null when the buffer ran out or the body ended (see `done`, `pos`). */
  next(buf: Buffer, start: number): Buffer | null {
    const i = this.run(buf, start);
    this.pos = i;
    if (this.dataEnd > this.dataStart) {
      const piece = buf.subarray(this.dataStart, this.dataEnd);
      this.dataStart = this.dataEnd = 0;
      return piece;
    }
    return null;
  }

  /** Decodes all of `buf[start..]`, data to `sink`. Returns the index just past the body's end, or -1 when more bytes are needed. */
  push(buf: Buffer, start: number, sink: ChunkSink): number {
    let i = start;
    for (;;) {
      i = this.run(buf, i);
      if (this.dataEnd > this.dataStart) {
        const s = this.dataStart;
        const e = this.dataEnd;
        this.dataStart = this.dataEnd = 0;
        sink(buf, s, e);
        continue;
      }
      this.pos = i;
      return this.state === S.Done ? i : -1;
    }
  }

  /** Runs the state machine from `i` until data is ready (dataStart..dataEnd), the buffer ends or the body is done. */
  private run(buf: Buffer, i: number): number {
    const n = buf.length;
    while (i < n) {
      const c = buf[i]!; // i < n
      switch (this.state) {
        case S.Data: {
          const take = Math.min(this.size, n - i);
          this.size -= take;
          this.total += take;
          if (this.size === 0) this.state = S.DataCr;
          this.dataStart = i;
          this.dataEnd = i + take;
          return i + take;
        }
        case S.Size: {
          const v = hexValue(c);
          if (v !== -1) {
            if (++this.digits > MAX_HEX_DIGITS) throw bad('chunk size too large');
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) {
            throw bad('missing chunk size');
          } else if (c === 13) {
            this.state = S.SizeLf;
          } else if (c === 0x3b) {
            this.lineLen = this.digits;
            this.state = S.ExtBws;
          } else if (c === 0x20 || c === 0x09) {
            this.lineLen = this.digits;
            this.state = S.SizeBws;
          } else {
            throw bad('invalid byte after chunk size');
          }
          i++;
          break;
        }
        case S.SizeLf:
          if (c !== 10) throw bad('chunk size line not ended by CRLF');
          i++;
          this.endSizeLine();
          break;
        case S.DataCr:
          if (c !== 13) throw bad('chunk data longer than its size');
          this.state = S.DataLf;
          i++;
          break;
        case S.DataLf:
          if (c !== 10) throw bad('chunk data not followed by CRLF');
          this.state = S.Size;
          this.size = 0;
          this.digits = 0;
          i++;
          break;
        case S.TrailerStart:
        case S.TrailerName:
        case S.TrailerValue:
        case S.TrailerLf:
        case S.FinalLf:
          if (this.trailer(c)) {
            this.state = S.Done;
            return i + 1;
          }
          i++;
          break;
        case S.Done:
          return i;
        default:
          this.extension(c);
          i++;
          break;
      }
    }
    return i;
  }

  private endSizeLine(): void {
    this.lineLen = 0;
    if (this.size === 0) {
      this.state = S.TrailerStart;
      return;
    }
    this.declared += this.size;
    if (this.declared > this.maxDeclared) throw wireError('H1_ERR_BODY_TOO_LARGE', `chunks announce more than ${this.maxDeclared} bytes`);
    this.state = S.Data;
  }

  /** One byte of the chunk-ext grammar: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ). */
  private extension(c: number): void {
    if (++this.lineLen > MAX_SIZE_LINE) throw bad('chunk extension too long');
    const ws = c === 0x20 || c === 0x09;
    switch (this.state) {
      case S.SizeBws:
        if (c === 0x3b) this.state = S.ExtBws;
        else if (!ws) throw bad('whitespace after a chunk size without an extension');
        return;
      case S.ExtBws:
        if (TCHAR[c] === 1) this.state = S.ExtName;
        else if (!ws) throw bad('chunk extension without a name');
        return;
      case S.ExtName:
      case S.ExtNameEnd:
        if (this.state === S.ExtName && TCHAR[c] === 1) return;
        if (c === 13 && this.state === S.ExtName) this.state = S.SizeLf;
        else if (c === 0x3b) this.state = S.ExtBws;
        else if (c === 0x3d) this.state = S.ExtValBws;
        else if (ws) this.state = S.ExtNameEnd;
        else throw bad('invalid chunk extension');
        return;
      case S.ExtValBws:
        if (c === 0x22) this.state = S.ExtQuoted;
        else if (TCHAR[c] === 1) this.state = S.ExtToken;
        else if (!ws) throw bad('invalid chunk extension value');
        return;
      case S.ExtToken:
        if (TCHAR[c] === 1) return;
        if (c === 13) this.state = S.SizeLf;
        else if (c === 0x3b) this.state = S.ExtBws;
        else if (ws) this.state = S.ExtValEnd;
        else throw bad('invalid chunk extension value');
        return;
      case S.ExtQuoted:
        if (c === 0x22) this.state = S.ExtValEnd;
        else if (c === 0x5c) this.state = S.ExtQuotedPair;
        else if (QDTEXT[c] !== 1) throw bad('unterminated or invalid quoted chunk extension');
        return;
      case S.ExtQuotedPair:
        if (c !== 0x09 && (c < 0x20 || c === 0x7f)) throw bad('invalid quoted-pair in a chunk extension');
        this.state = S.ExtQuoted;
        return;
      case S.ExtValEnd:
        if (c === 13) this.state = S.SizeLf;
        else if (c === 0x3b) this.state = S.ExtBws;
        else if (!ws) throw bad('invalid byte after a chunk extension value');
        return;
      default:
        throw bad('invalid chunk framing');
    }
  }

  /** One byte of the trailer section; true when it was the final LF. */
  private trailer(c: number): boolean {
    switch (this.state) {
      case S.TrailerStart:
        if (c === 13) {
          this.state = S.FinalLf;
          return false;
        }
        if (TCHAR[c] !== 1) throw bad(c === 0x20 || c === 0x09 ? 'obsolete line folding in a trailer' : 'invalid trailer field name');
        if (--this.fieldBudget < 0) throw wireError('H1_ERR_TOO_MANY_FIELDS', 'header and trailer fields together');
        this.trailerName = String.fromCharCode(c | (c >= 0x41 && c <= 0x5a ? 0x20 : 0));
        this.lineLen = 1;
        this.state = S.TrailerName;
        break;
      case S.TrailerName:
        if (c === 0x3a) {
          if (FORBIDDEN_TRAILERS.has(this.trailerName)) throw bad(`${this.trailerName} is not allowed in a trailer`);
          this.state = S.TrailerValue;
        } else if (TCHAR[c] !== 1) {
          throw bad('invalid trailer field name');
        } else if (this.trailerName.length < 24) {
          this.trailerName += String.fromCharCode(c | (c >= 0x41 && c <= 0x5a ? 0x20 : 0));
        }
        this.lineLen++;
        break;
      case S.TrailerValue:
        if (c === 13) {
          this.state = S.TrailerLf;
        } else if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
          throw bad(c === 10 ? 'bare LF in a trailer' : 'control byte in a trailer');
        } else {
          this.lineLen++;
        }
        break;
      case S.TrailerLf:
        if (c !== 10) throw bad('bare CR in a trailer');
        this.state = S.TrailerStart;
        break;
      case S.FinalLf:
        if (c !== 10) throw bad('bare CR at the end of a chunked body');
        return true;
      default:
        break;
    }
    if (this.lineLen + 2 > this.limits.fieldLine) throw wireError('H1_ERR_FIELD_TOO_LARGE', 'trailer line');
    if (++this.trailerBytes > this.limits.headBytes) throw wireError('H1_ERR_HEAD_TOO_LARGE', 'trailer section');
    return false;
  }
}

function bad(detail: string): Error {
  return wireError('H1_ERR_BAD_CHUNK', detail);
}
