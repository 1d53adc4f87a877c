import { ChunkedDecoder, DEFAULT_HEAD_LIMITS, RequestHeadScanner, WireError, leadingEmptyLines, parseRequestHead, type HeadLimits } from '../src/index.ts';
import type { Expected, SeenRequest } from './case-table.ts';

/**
 * Reads `bytes` as one connection's byte stream the way a server does with
 * the package (heads, Content-Length and chunked bodies, pipelining, stop
 * after a head that ends the connection), fed `step` bytes at a time, and
 * reports what it saw in the table's terms.
 */
export function parseConnection(bytes: Buffer, limits: HeadLimits = DEFAULT_HEAD_LIMITS, step = bytes.length): Expected {
  const requests: SeenRequest[] = [];
  const scanner = new RequestHeadScanner(limits);
  let buf = Buffer.alloc(0);
  let fed = 0;
  const more = (): boolean => {
    if (fed >= bytes.length) return false;
    const n = Math.min(Math.max(step, 1), bytes.length - fed);
    buf = Buffer.concat([buf, bytes.subarray(fed, fed + n)]);
    fed += n;
    return true;
  };
  more();
  try {
    for (;;) {
      const skip = leadingEmptyLines(buf);
      if (skip > 0) buf = buf.subarray(skip);
      if (buf.length === 0 || (buf.length === 1 && buf[0] === 13)) {
        if (!more()) return done(requests, fed < bytes.length || buf.length > 0);
        continue;
      }
      const end = scanner.scan(buf, 0);
      if (end === -1) {
        if (!more()) return done(requests, true);
        continue;
      }
      const head = parseRequestHead(buf, 0, end, limits);
      buf = buf.subarray(end);
      let body = 0;
      if (head.chunked) {
        const decoder = new ChunkedDecoder(limits, head.names.length);
        for (;;) {
          const stop = decoder.push(buf, 0, (_b, s, e) => {
            body += e - s;
          });
          if (stop !== -1) {
            buf = buf.subarray(stop);
            break;
          }
          buf = Buffer.alloc(0);
          if (!more()) return done(requests, true);
        }
      } else if (head.contentLength > 0) {
        while (buf.length < head.contentLength) if (!more()) return done(requests, true);
        body = head.contentLength;
        buf = buf.subarray(head.contentLength);
      }
      requests.push({ method: head.method, path: head.rawPath, query: head.query, body });
      // A server stops reading after a request that ends the connection; after an upgrade or CONNECT the bytes are another protocol's.
      if (!head.keepAlive || head.upgrade !== '' || head.method === 'CONNECT') return done(requests, false);
    }
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    const out: Expected = { status: err.status };
    if (requests.length > 0) out.requests = requests;
    return out;
  }
}

function done(requests: SeenRequest[], incomplete: boolean): Expected {
  const out: Expected = {};
  if (requests.length > 0) out.requests = requests;
  if (incomplete) out.incomplete = true;
  return out;
}
