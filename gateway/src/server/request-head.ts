/** A request head after parsing and validation, whichever engine parsed it. */
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
