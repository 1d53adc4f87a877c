import { Counter, Gauge, type Registry } from 'prom-client';

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
  readonly certReloads: Counter<'result'>;
  readonly h2Sessions: Counter;
  readonly h2Streams: Counter;
  readonly h2Refused: Counter<'code'>;
  readonly proxyProtocolErrors: Counter;
  readonly connectionsRefused: Counter;
  readonly compressed: Counter<'encoding'>;
  readonly compressionIn: Counter<'encoding'>;
  readonly compressionOut: Counter<'encoding'>;

  constructor(registry: Registry, liveH2Sessions: () => number) {
    const registers = [registry];
    this.limited = new Counter({ name: 'tsgi_proxy_rate_limited_total', help: 'Requests refused by limitReq (kind=req) or limitConn (kind=conn) zones.', labelNames: ['zone', 'kind'], registers });
    this.delayed = new Counter({ name: 'tsgi_proxy_rate_delayed_total', help: 'Requests delayed to the rate by limitReq zones without nodelay, by route.', labelNames: ['route'], registers });
    this.denied = new Counter({ name: 'tsgi_proxy_access_denied_total', help: 'Requests refused 403 by a route allow/deny list.', labelNames: ['route'], registers });
    this.tlsHandshakes = new Counter({ name: 'tsgi_proxy_tls_handshakes_total', help: 'Completed TLS handshakes, by protocol version and ALPN.', labelNames: ['protocol', 'alpn'], registers });
    this.tlsErrors = new Counter({ name: 'tsgi_proxy_tls_handshake_errors_total', help: 'Failed TLS handshakes, by reason (protocol, cipher, timeout, reset, other).', labelNames: ['reason'], registers });
    this.certReloads = new Counter({ name: 'tsgi_proxy_cert_reloads_total', help: 'Certificate reloads on SIGHUP, by result (ok, kept_old).', labelNames: ['result'], registers });
    this.h2Sessions = new Counter({ name: 'tsgi_proxy_h2_sessions_total', help: 'HTTP/2 connections accepted.', registers });
    this.h2Streams = new Counter({ name: 'tsgi_proxy_h2_streams_total', help: 'HTTP/2 streams (requests) opened by clients.', registers });
    this.h2Refused = new Counter({ name: 'tsgi_proxy_h2_streams_refused_total', help: 'HTTP/2 streams refused before forwarding, by error code.', labelNames: ['code'], registers });
    this.proxyProtocolErrors = new Counter({ name: 'tsgi_proxy_proxy_protocol_errors_total', help: 'Connections closed for a missing or malformed PROXY protocol header.', registers });
    this.connectionsRefused = new Counter({ name: 'tsgi_proxy_connections_refused_total', help: 'Client connections closed at accept because the worker had limits.maxConnections open.', registers });
    this.compressed = new Counter({ name: 'tsgi_proxy_compressed_responses_total', help: 'Responses compressed at the edge, by encoding.', labelNames: ['encoding'], registers });
    this.compressionIn = new Counter({ name: 'tsgi_proxy_compression_bytes_in_total', help: 'Upstream body bytes fed to edge compression, by encoding.', labelNames: ['encoding'], registers });
    this.compressionOut = new Counter({ name: 'tsgi_proxy_compression_bytes_out_total', help: 'Compressed body bytes sent to clients, by encoding.', labelNames: ['encoding'], registers });
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
