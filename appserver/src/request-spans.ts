import type { RequestTracing, ServerSpan } from '@tsgi/arbiter';
import { parseTraceparent } from '@tsgi/arbiter';

/**
 * The appserver's span per request (traces on): started when the request
 * head is parsed, child of the caller's `traceparent` (the proxy's span), and
 * ended with the route the app matched (`tsgi.route`) and the status.
 */
export class RequestSpans {
  private readonly open = new Map<object, ServerSpan>();

  constructor(private readonly tracing: RequestTracing) {}

  begin(key: object, method: string, target: string, traceparent: unknown, remote: string): void {
    const parsed = typeof traceparent === 'string' ? parseTraceparent(traceparent) : null;
    const parent = parsed === null ? null : { traceId: parsed.traceId, spanId: parsed.parentId, sampled: (parseInt(parsed.flags, 16) & 1) === 1 };
    const q = target.indexOf('?');
    this.open.set(key, this.tracing.startServerSpan(method, parent, { 'http.request.method': method, 'url.path': q < 0 ? target : target.slice(0, q), 'client.address': remote }));
  }

  /** Ends the request's span; `route` is the app's `tsgi.route` (a string when a rule matched). */
  end(key: object, method: string, status: number, route: unknown): void {
    const span = this.open.get(key);
    if (span === undefined) return;
    this.open.delete(key);
    const matched = typeof route === 'string' && route !== '';
    if (matched) span.end({ 'http.response.status_code': status, 'http.route': route }, status, `${method} ${route}`);
    else span.end({ 'http.response.status_code': status }, status);
  }

  /** The app took the connection over (an upgrade): no status to report, the span ends as it is. */
  drop(key: object): void {
    const span = this.open.get(key);
    if (span === undefined) return;
    this.open.delete(key);
    span.end({}, 0);
  }
}
