import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { bindError } from '../errors.js';
import { EdgeListener, type ClientInfo, type EdgeListenerOptions } from './edge-listener.js';
import { ConnectionCap } from './connection-cap.js';
import type { ServerHttp2Stream } from 'node:http2';
import { TlsContexts, type TlsSettings } from './tls-contexts.js';

/** One listener's config as validated (core keys plus the edge ones). */
export interface EdgeListenerConfig {
  address: string;
  tls?: TlsSettings;
  proxyProtocol: boolean;
  proxyProtocolTimeout: number;
}

/** The request limits the HTTP/2 session settings are sized from (config `limits`). */
export interface H2SessionLimits {
  maxHeaders: number;
  maxHeaderBytes: number;
  maxRequestLine: number;
}

/** The counters the listeners move (the worker's EdgeMetrics). */
export interface ListenerMetrics {
  readonly connectionsRefused: Counter;
  readonly tlsHandshakes: Counter<'protocol' | 'alpn'>;
  readonly tlsErrors: Counter<'reason'>;
  readonly proxyProtocolErrors: Counter;
  readonly h2Sessions: Counter;
  readonly h2Streams: Counter;
}

/** How the worker serves what the listeners accept: the codecs take it from here. */
export interface EdgeServe {
  http1(socket: Socket, info: ClientInfo): void;
  /** One HTTP/2 stream's HEADERS as received (`flags` says whether they ended the stream). */
  h2Stream(stream: ServerHttp2Stream, flags: number, rawHeaders: string[], info: ClientInfo): void;
  limits(): H2SessionLimits;
  /** Idle time after which an h2 connection without streams is closed (ms). */
  idleTimeout(): number;
  accepting(): boolean;
  /** Most client connections open at once in this worker, all listeners together (nginx worker_connections). */
  maxConnections(): number;
}

/** One listener with what built it; `key` is its identity across reloads. */
interface Entry {
  key: string;
  config: EdgeListenerConfig;
  tls: TlsContexts | null;
  listener: EdgeListener;
}

/**
 * Every listener of one worker with its TLS contexts. Certificate files are
 * read at construction (a bad file there is a boot error). A HUP replaces the
 * whole worker (the arbiter's generation reload), so nothing here is rebound.
 */
export class EdgeListeners {
  private entries: Entry[] = [];
  readonly cap: ConnectionCap;

  constructor(
    configs: readonly EdgeListenerConfig[],
    private readonly serve: EdgeServe,
    private readonly metrics: ListenerMetrics,
    private readonly log: Logger,
  ) {
    this.cap = new ConnectionCap(
      () => serve.maxConnections(),
      ({ open, max, refused }) =>
        log.warn(
          { open, maxConnections: max, refused },
          `${max} limits.maxConnections are not enough: ${open} client connections open in this worker, ${refused} new one(s) closed`,
        ),
      () => metrics.connectionsRefused.inc(),
    );
    const keys = listenerKeys(configs);
    for (const [i, config] of configs.entries()) {
      const tls = config.tls === undefined ? null : new TlsContexts(config.tls);
      this.entries.push({ key: keys[i] as string, config, tls, listener: new EdgeListener(this.optionsFor(config, tls)) });
    }
  }

  private optionsFor(config: EdgeListenerConfig, tls: TlsContexts | null): EdgeListenerOptions {
    const serve = this.serve;
    const metrics = this.metrics;
    return {
      proxyProtocol: config.proxyProtocol,
      proxyProtocolTimeout: config.proxyProtocolTimeout,
      tls,
      h2Settings: { maxHeaderListSize: serve.limits().maxHeaderBytes + serve.limits().maxRequestLine },
      h2MaxHeaderPairs: serve.limits().maxHeaders + 8,
      h2IdleTimeout: serve.idleTimeout(),
      onHttp1: (socket, info) => serve.http1(socket, info),
      onH2Stream: (stream, _headers, flags, raw, info) => serve.h2Stream(stream, flags, raw, info),
      accepting: () => serve.accepting(),
      admit: (socket) => this.cap.admit(socket),
      events: {
        tlsHandshake: (info) => metrics.tlsHandshakes.inc({ protocol: info.tlsProtocol ?? 'unknown', alpn: info.alpn || 'none' }),
        tlsError: (reason) => metrics.tlsErrors.inc({ reason }),
        proxyProtocolError: (err) => {
          metrics.proxyProtocolErrors.inc();
          this.log.debug({ err: err.message, listener: config.address }, 'PROXY protocol header refused; connection closed');
        },
        h2Session: () => metrics.h2Sessions.inc(),
        h2Stream: () => metrics.h2Streams.inc(),
      },
    };
  }

  /** Binds every listener; `addresses` gives the host/port of each (port 0 resolved by the caller or the OS). */
  async start(addresses: readonly { host: string; port: number }[], exclusive: boolean): Promise<{ host: string; port: number }[]> {
    const bound: { host: string; port: number }[] = [];
    for (const [i, entry] of this.entries.entries()) {
      const at = addresses[i];
      if (at === undefined) throw new RangeError(`edge listeners: no address for listener ${i} of ${this.entries.length}`);
      try {
        bound.push(await entry.listener.listen(at.host, at.port, exclusive));
      } catch (err) {
        throw bindError(`listeners.${i}.address`, entry.config.address, err);
      }
    }
    return bound;
  }

  get h2Sessions(): number {
    let n = 0;
    for (const e of this.entries) n += e.listener.h2Sessions;
    return n;
  }

  /** Stops accepting; h2 sessions get GOAWAY and finish their streams. */
  close(): Promise<void> {
    return Promise.all(this.entries.map((e) => e.listener.close())).then(() => undefined);
  }

  destroy(): void {
    for (const e of this.entries) {
      e.listener.destroySessions();
      e.listener.server.close();
    }
  }
}

/** Each listener keyed by its address and how many listeners before it have the same address (`host:0#1`). */
function listenerKeys(configs: readonly { address: string }[]): string[] {
  const seen = new Map<string, number>();
  return configs.map((c) => {
    const n = seen.get(c.address) ?? 0;
    seen.set(c.address, n + 1);
    return `${c.address}#${n}`;
  });
}
