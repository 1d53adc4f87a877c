import type { RequestHead as WireHead } from '@tsgi/http1';

/** A request head as the environ needs it, whichever engine parsed it (ours through @tsgi/http1, or node:http for the adapter). */
export interface RequestHead {
  method: string;
  /** The request-target as sent (RAW_URI). */
  target: string;
  /** Path part of the target, still percent-encoded; '' for authority-form and '*'. */
  rawPath: string;
  /** Raw query after '?', '' if none. */
  query: string;
  /** 'HTTP/1.0' or 'HTTP/1.1'. */
  version: string;
  /** Field names and values, flat: [name0, value0, name1, value1, ...], names as sent. */
  fields: string[];
  /** Host from an absolute-form target or the Host field ('' if none). */
  host: string;
  /** Declared Content-Length, -1 if none. */
  contentLength: number;
  chunked: boolean;
  /** Both sides may keep the connection open after this exchange (SRV-7). */
  keepAlive: boolean;
  expectContinue: boolean;
  /** X-Forwarded-Proto as sent (lower-cased), '' if none. */
  forwardedProto: string;
}

/** The environ's view of a head the shared wire parser produced. */
export function fromWireHead(h: WireHead): RequestHead {
  const { names, values, lower } = h;
  const fields = new Array<string>(names.length * 2);
  let forwardedProto = '';
  for (let i = 0; i < names.length; i++) {
    // names, values and lower are parallel arrays of one length.
    const value = values[i]!;
    fields[2 * i] = names[i]!;
    fields[2 * i + 1] = value;
    if (forwardedProto === '' && lower[i] === 'x-forwarded-proto') forwardedProto = (value.split(',', 1)[0] ?? '').trim().toLowerCase();
  }
  return {
    method: h.method,
    target: h.rawTarget,
    rawPath: h.rawPath,
    query: h.query,
    version: h.minor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
    fields,
    host: h.host,
    contentLength: h.contentLength,
    chunked: h.chunked,
    keepAlive: h.keepAlive,
    expectContinue: h.expectContinue,
    forwardedProto,
  };
}
