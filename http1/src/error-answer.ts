import { reasonPhrase } from './reason-phrase.js';

/** A response a server or proxy makes itself (a refusal, an error): a short body, never the app's. */
export interface ErrorAnswer {
  status: number;
  /** Defaults to the status's reason phrase. */
  reason?: string | undefined;
  /** The body's media type; none with an empty body. */
  contentType?: string | undefined;
  /** The body as text, sent as UTF-8 (not for HEAD). */
  body: string;
  /** More header lines, each ending in CRLF (`x-proxy-error: …\r\n`, a Date line). */
  lines?: string | undefined;
  /** Sends `Connection: close`: the connection ends after this answer. */
  close: boolean;
  /** The request was HEAD: the head says the body's length, the body is left out. */
  head?: boolean | undefined;
}

/** The answer as HTTP/1.1 bytes, ready for one write. */
export function serializeErrorAnswer(a: ErrorAnswer): Buffer {
  const body = Buffer.from(a.body, 'utf8');
  const head =
    `HTTP/1.1 ${a.status} ${a.reason ?? reasonPhrase(a.status)}\r\n` +
    `${a.contentType !== undefined ? `Content-Type: ${a.contentType}\r\n` : ''}Content-Length: ${body.length}\r\n` +
    `${a.lines ?? ''}${a.close ? 'Connection: close\r\n' : ''}\r\n`;
  if (a.head === true || body.length === 0) return Buffer.from(head, 'latin1');
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, 'latin1');
  out.set(body, head.length);
  return out;
}
