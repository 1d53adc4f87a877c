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
  readonly certReloads: Counter<'result'>;
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

/** A listener that a reload took out: its socket no longer accepts; its connections drain. */
export interface RemovedListener {
  address: string;
  /** ClientInfo.listener of its connections. */
  id: number;
  /** Closes what is left of it (h2 sessions) once its connections are done or cut. */
  destroy(): void;
}

/**
 * A reload's listener change, bound but not yet in effect: `commit` swaps it in
 * (and says which listeners went), `abort` closes what it bound.
 */
export interface ListenerChange {
  /** Addresses of the listeners it bound (added by the reload), as bound. */
  added: { address: string; host: string; port: number }[];
  commit(): RemovedListener[];
  abort(): Promise<void>;
}

/**
 * Every listener of one worker with its TLS contexts. Certificate files are
 * read at construction (a bad file there is a boot error) and re-read by
 * `reloadCertificates` on SIGHUP, which keeps the running contexts of any
 * listener whose new files are bad and logs why. `change` rebinds for a
 * reload (nginx's HUP): a listener whose address stays keeps its socket.
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

  /**
   * Binds what a reload adds, builds the TLS contexts of listeners whose
   * settings changed, and keeps the sockets of addresses that stay. Throws
   * (a bindError naming the listener, or the TLS error) after closing what it
   * bound, so a refused reload leaves the running listeners as they were.
   */
  async change(configs: readonly EdgeListenerConfig[], addresses: readonly { host: string; port: number }[]): Promise<ListenerChange> {
    const running = new Map(this.entries.map((e) => [e.key, e]));
    const keys = listenerKeys(configs);
    const next: { entry: Entry; kept: boolean; options: EdgeListenerOptions | null }[] = [];
    const added: ListenerChange['added'] = [];
    const closeAdded = (): Promise<void> => Promise.all(next.filter((n) => !n.kept).map((n) => n.entry.listener.close())).then(() => undefined);
    try {
      for (const [i, config] of configs.entries()) {
        const key = keys[i] as string;
        const old = running.get(key);
        if (old !== undefined) {
          if (JSON.stringify(old.config) === JSON.stringify(config)) {
            next.push({ entry: old, kept: true, options: null });
          } else {
            // Same address, other settings (TLS, PROXY protocol): the socket stays, new connections get the new settings.
            const tls = config.tls === undefined ? null : JSON.stringify(config.tls) === JSON.stringify(old.config.tls) ? old.tls : new TlsContexts(config.tls);
            const options = this.optionsFor(config, tls);
            next.push({ entry: { key, config, tls, listener: old.listener }, kept: true, options });
          }
          continue;
        }
        const tls = config.tls === undefined ? null : new TlsContexts(config.tls);
        const entry: Entry = { key, config, tls, listener: new EdgeListener(this.optionsFor(config, tls)) };
        next.push({ entry, kept: false, options: null });
        const at = addresses[i];
        if (at === undefined) throw new RangeError(`edge listeners: no address for listener ${i} of ${configs.length}`);
        try {
          const b = await entry.listener.listen(at.host, at.port, false);
          added.push({ address: config.address, ...b });
        } catch (err) {
          throw bindError(`listeners.${i}.address`, config.address, err);
        }
      }
    } catch (err) {
      await closeAdded();
      throw err;
    }
    return {
      added,
      commit: () => {
        const stays = new Set(next.map((n) => n.entry.listener));
        const removed = this.entries.filter((e) => !stays.has(e.listener));
        for (const n of next) if (n.options !== null) n.entry.listener.reconfigure(n.options);
        this.entries = next.map((n) => n.entry);
        return removed.map((e) => {
          void e.listener.close();
          return {
            address: e.config.address,
            id: e.listener.id,
            // Its server is already closing (above); only h2 sessions outlive that.
            destroy: () => e.listener.destroySessions(),
          };
        });
      },
      abort: closeAdded,
    };
  }

  /** Re-reads certificates and keys (SIGHUP); a bad pair keeps the old contexts. */
  reloadCertificates(): void {
    for (const e of this.entries) {
      if (e.tls === null) continue;
      const r = e.tls.reload();
      this.metrics.certReloads.inc({ result: r.ok ? 'ok' : 'kept_old' });
      if (r.ok) this.log.info({ listener: e.config.address, certificates: r.certificates }, 'TLS certificates reloaded');
      else this.log.error({ listener: e.config.address, err: r.error, certificates: r.certificates }, 'TLS certificate reload refused; keeping the running certificates');
    }
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
