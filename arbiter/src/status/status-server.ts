import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a tier's master knows about its health, read on each probe. */
export interface HealthState {
  /** A worker has been ready at least once since the master started: a crash loop from the start is not healthy. */
  booted: boolean;
  /** A worker serves now. */
  ready: boolean;
  /** A stop (graceful or not) is under way. */
  draining: boolean;
  /** Workers ready now. */
  workers: number;
}

/** The one JSON body `/healthz` and `/readyz` answer with, in both tiers. */
export interface HealthAnswer {
  status: 'ok' | 'ready' | 'starting' | 'draining';
  workers: number;
}

/** Writes one whole answer (HEAD gets the headers and no body). */
export type StatusReply = (status: number, contentType: string, body: string) => void;

/** A tier's own routes on the status port (the proxy's `/upstreams` and its authenticated writes). */
export interface StatusExtension {
  /** Methods beyond GET and HEAD that `handle` answers (named in a 405's `Allow`). */
  methods: readonly string[];
  /** Paths named in the 404 answer beside /metrics, /healthz, /readyz. */
  paths: readonly string[];
  /** Answers the request and returns true, or returns false to let the server answer it (404, 405). */
  handle(req: IncomingMessage, res: ServerResponse, path: string, reply: StatusReply): boolean;
}

/** Where the status server gets its answers. */
export interface StatusSources {
  /** The master's own metrics with every worker's merged in (MasterMetrics.render). */
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): HealthState;
  extension?: StatusExtension;
}

/** Where a status server listens: a TCP host and port (0: any), or a unix socket path. */
export type StatusTarget = { host: string; port: number } | { path: string };

/** A listening status server and where it is. */
export interface StatusServer {
  server: Server;
  /** The bound address: the port the kernel gave for port 0; the path for a unix socket. */
  bound: StatusTarget;
  close(): void;
}

const HEALTH_TYPE = 'application/json';

/**
 * `/healthz` (liveness: 200 once a worker has booted, draining included, so an orchestrator never kills a master
 * that finishes its in-flight requests; 503 `starting` before any worker booted), `/readyz` (readiness: 200 while a
 * worker serves and nothing drains, else 503), `/metrics` (Prometheus text), HEAD for each, plus the tier's
 * `extension` routes. The same server for tsgi-appserver's `--metrics-bind` and tsgi-proxy's admin port.
 */
export function createStatusServer(sources: StatusSources): Server {
  const extension = sources.extension;
  const methods = ['GET', 'HEAD', ...(extension?.methods ?? [])];
  const paths = ['/metrics', ...(extension?.paths ?? []), '/healthz', '/readyz'];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const reply: StatusReply = (status, contentType, body) => {
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (extension?.handle(req, res, path, reply) === true) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', methods.join(', '));
      reply(405, 'text/plain', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        sources.metrics().then(
          (m) => reply(200, m.contentType, m.body),
          (err: Error) => reply(500, 'text/plain', `metrics: ${err.message}\n`),
        );
        return;
      case '/healthz': {
        const h = sources.health();
        reply(h.booted ? 200 : 503, HEALTH_TYPE, answer(h.draining ? 'draining' : h.booted ? 'ok' : 'starting', h));
        return;
      }
      case '/readyz': {
        const h = sources.health();
        const ready = h.ready && !h.draining;
        reply(ready ? 200 : 503, HEALTH_TYPE, answer(ready ? 'ready' : h.draining ? 'draining' : 'starting', h));
        return;
      }
      default:
        reply(404, 'text/plain', `not found: try ${paths.join(', ')}\n`);
    }
  });
  // A scraper or probe that keeps its connection must not hold a stopping master open for long.
  server.keepAliveTimeout = 5000;
  return server;
}

function answer(status: HealthAnswer['status'], h: HealthState): string {
  const body: HealthAnswer = { status, workers: h.workers };
  return `${JSON.stringify(body)}\n`;
}

/** Listens on `target`; rejects with listen's error (the caller names its setting). */
export async function listenStatusServer(server: Server, target: StatusTarget): Promise<StatusServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen('path' in target ? { path: target.path } : { host: target.host, port: target.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound: StatusTarget = 'path' in target ? target : { host: (addr as AddressInfo).address, port: (addr as AddressInfo).port };
  return {
    server,
    bound,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
