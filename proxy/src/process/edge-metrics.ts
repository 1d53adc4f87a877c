import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Makes every inc() of `counter` also call `changed`, so the worker's 1 s
 * metrics push runs after edge events that record no request (TLS
 * handshakes, PROXY protocol errors, refused connections, h2 sessions):
 * without it a kill -9 lost them and the master's counter went back.
 */
function pushed<T extends string>(counter: Counter<T>, changed: () => void): Counter<T> {
  const inc = counter.inc.bind(counter) as (...args: unknown[]) => void;
  counter.inc = ((...args: unknown[]) => {
    changed();
    inc(...args);
  }) as Counter<T>['inc'];
  return counter;
}

/**
 * The edge features' metrics, registered in the worker's registry so the
 * master's aggregation sums them across workers like the core's.
 */
export class EdgeMetrics {
  readonly limited: Counter<'zone' | 'kind'>;
  readonly delayed: Counter<'route'>;
  readonly denied: Counter<'route'>;
  readonly tlsHandshakes: Counter<'protocol' | 'alpn'>;
  readonly tlsErrors: Counter<'reason'>;
  readonly h2Sessions: Counter;
  readonly h2Streams: Counter;
  readonly h2Refused: Counter<'code'>;
  readonly proxyProtocolErrors: Counter;
  readonly connectionsRefused: Counter;
  readonly compressed: Counter<'encoding'>;
  readonly compressionIn: Counter<'encoding'>;
  readonly compressionOut: Counter<'encoding'>;

  constructor(registry: Registry, liveH2Sessions: () => number, changed: () => void) {
    const registers = [registry];
    this.limited = pushed(new Counter({ name: 'tsgi_proxy_rate_limited_total', help: 'Requests refused by limitReq (kind=req) or limitConn (kind=conn) zones.', labelNames: ['zone', 'kind'], registers }), changed);
    this.delayed = pushed(new Counter({ name: 'tsgi_proxy_rate_delayed_total', help: 'Requests delayed to the rate by limitReq zones without nodelay, by route.', labelNames: ['route'], registers }), changed);
    this.denied = pushed(new Counter({ name: 'tsgi_proxy_access_denied_total', help: 'Requests refused 403 by a route allow/deny list.', labelNames: ['route'], registers }), changed);
    this.tlsHandshakes = pushed(new Counter({ name: 'tsgi_proxy_tls_handshakes_total', help: 'Completed TLS handshakes, by protocol version and ALPN.', labelNames: ['protocol', 'alpn'], registers }), changed);
    this.tlsErrors = pushed(new Counter({ name: 'tsgi_proxy_tls_handshake_errors_total', help: 'Failed TLS handshakes, by reason (protocol, cipher, timeout, reset, other).', labelNames: ['reason'], registers }), changed);
    this.h2Sessions = pushed(new Counter({ name: 'tsgi_proxy_h2_sessions_total', help: 'HTTP/2 connections accepted.', registers }), changed);
    this.h2Streams = pushed(new Counter({ name: 'tsgi_proxy_h2_streams_total', help: 'HTTP/2 streams (requests) opened by clients.', registers }), changed);
    this.h2Refused = pushed(new Counter({ name: 'tsgi_proxy_h2_streams_refused_total', help: 'HTTP/2 streams refused before forwarding, by error code.', labelNames: ['code'], registers }), changed);
    this.proxyProtocolErrors = pushed(new Counter({ name: 'tsgi_proxy_proxy_protocol_errors_total', help: 'Connections closed for a missing or malformed PROXY protocol header.', registers }), changed);
    this.connectionsRefused = pushed(new Counter({ name: 'tsgi_proxy_connections_refused_total', help: 'Client connections closed at accept because the worker had limits.maxConnections open.', registers }), changed);
    this.compressed = pushed(new Counter({ name: 'tsgi_proxy_compressed_responses_total', help: 'Responses compressed at the edge, by encoding.', labelNames: ['encoding'], registers }), changed);
    this.compressionIn = pushed(new Counter({ name: 'tsgi_proxy_compression_bytes_in_total', help: 'Upstream body bytes fed to edge compression, by encoding.', labelNames: ['encoding'], registers }), changed);
    this.compressionOut = pushed(new Counter({ name: 'tsgi_proxy_compression_bytes_out_total', help: 'Compressed body bytes sent to clients, by encoding.', labelNames: ['encoding'], registers }), changed);
    new Gauge({
      name: 'tsgi_proxy_h2_sessions_active',
      help: 'Open HTTP/2 connections.',
      registers,
      collect() {
        this.set(liveH2Sessions());
      },
    });
  }
}
