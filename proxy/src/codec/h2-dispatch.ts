import { constants, type ServerHttp2Stream } from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import type { LocalAnswer } from '../policy/error-answers.js';
import { addLines } from './h2-client.js';
import { ProxyError } from '../errors.js';
import type { ClientInfo } from '../listener/edge-listener.js';
import { translateH2Request, type H2Limits, type TranslatedRequest } from './h2-request.js';

/** What the dispatcher needs from the proxy. */
export interface H2DispatchTarget {
  limits: H2Limits;
  /** Serve the validated request on its stream (the worker's H2StreamClient). */
  serve(stream: ServerHttp2Stream, request: TranslatedRequest, info: ClientInfo): void;
  /** The answer to a refused request (the one builder, policy/error-answers.ts). */
  answer(err: ProxyError): LocalAnswer;
  /** A request refused before it reached an exchange (for the access log and metrics). */
  refused?(err: ProxyError, info: ClientInfo): void;
}

/**
 * Validates one HTTP/2 stream's request and hands it to the proxy, or
 * answers the error itself (400/414/417/431/501 with a plain-text body
 * naming it; the connection and its other streams carry on, as for HTTP/2
 * stream errors).
 */
export function dispatchH2Stream(stream: ServerHttp2Stream, flags: number, rawHeaders: string[], info: ClientInfo, target: H2DispatchTarget): void {
  const endStream = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
  let request: TranslatedRequest;
  try {
    request = translateH2Request(rawHeaders, endStream, target.limits);
  } catch (err) {
    const e = err instanceof ProxyError ? err : new ProxyError('PX_ERR_BAD_REQUEST', String(err));
    target.refused?.(e, info);
    answer(stream, target.answer(e));
    return;
  }
  target.serve(stream, request, info);
}

function answer(stream: ServerHttp2Stream, a: LocalAnswer): void {
  stream.on('error', () => {});
  if (stream.destroyed || stream.headersSent) return;
  const headers: OutgoingHttpHeaders = { ':status': a.status, 'content-type': a.type, 'content-length': Buffer.byteLength(a.body) };
  addLines(headers, a.lines);
  stream.respond(headers);
  stream.end(a.body);
  // The request body, if any, is not wanted.
  stream.resume();
}
