import type { SpanAttributes } from '@tsgi/arbiter';
import type { ExchangeRecord } from '../route/proxy-context.js';

/**
 * Ends the proxy's span of one request with the HTTP semantic-convention
 * attributes (`http.request.method`, `http.response.status_code`,
 * `server.address`, `url.path`, `http.request.resend_count`) plus the
 * upstream it went to (`tsgi.upstream.group`, `tsgi.upstream.endpoint`).
 */
export function endExchangeSpan(r: ExchangeRecord): void {
  const span = r.span;
  if (span === undefined || span === null) return;
  const q = r.target.indexOf('?');
  const attributes: SpanAttributes = {
    'http.request.method': r.method,
    'url.path': q < 0 ? r.target : r.target.slice(0, q),
    'server.address': r.host,
    'client.address': r.remote,
    'http.response.status_code': r.status,
    'network.protocol.version': r.protocol === 'HTTP/2.0' ? '2' : r.protocol === 'HTTP/1.0' ? '1.0' : '1.1',
    'tsgi.upstream.group': r.group,
    'tsgi.upstream.endpoint': r.endpoint,
    'http.request.resend_count': Math.max(0, r.attempts - 1),
  };
  if (r.error !== null) attributes['error.type'] = r.error;
  span.end(attributes, r.status, r.method);
}
