import { createServer, type Server } from 'node:http';
import { messageOf } from '@tsgi/errors';
import { parseAddress } from '../config/config.js';
import { bindError } from '../errors.js';
import { upstreamsReadVerdict } from './admin-reads.js';
import { handleAdminWrite, type AdminControl } from './admin-writes.js';

/** Where the admin server gets its answers (one worker's, or the master's merge of all workers'). */
export interface AdminSources {
  metrics(): Promise<{ contentType: string; body: string }>;
  upstreams(): Promise<unknown>;
  /** Takes new traffic: false while draining (after SIGTERM) or before the first worker is ready. */
  ready(): boolean;
  /** A short word for the liveness body: `ok`, `draining`, `starting`. */
  state(): string;
  /** The write endpoints (POST); absent: none. */
  control?: AdminControl;
}

/**
 * The admin port: `GET /metrics` (Prometheus text), `GET /upstreams` (JSON
 * view of every group's endpoints; loopback peers or the bearer token only,
 * admin-reads.ts), `GET /readyz` (readiness: 200 while
 * taking traffic, 503 while draining or before the first worker is ready),
 * `GET /healthz` (liveness: 200 for as long as the process answers, drain
 * included, so an orchestrator never kills a proxy that is finishing its
 * in-flight requests), and the authenticated write endpoints (admin-writes.ts).
 */
export async function startAdminServer(address: string, sources: AdminSources): Promise<{ server: Server; port: number; host: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method === 'POST') {
      handleAdminWrite(req, res, path ?? '/', sources.control, send);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD, POST');
      send(405, 'text/plain', 'method not allowed\n');
      return;
    }
    const fail = (err: unknown): void => send(500, 'text/plain', `admin error: ${messageOf(err)}\n`);
    switch (path) {
      case '/metrics':
        sources.metrics().then((m) => send(200, m.contentType, m.body), fail);
        return;
      case '/upstreams': {
        const refused = upstreamsReadVerdict(req, sources.control?.token ?? null);
        if (refused !== null) {
          if (refused.status === 401) res.setHeader('www-authenticate', 'Bearer realm="tsgi-proxy admin"');
          send(refused.status, 'application/json', `${JSON.stringify({ error: refused.error })}\n`);
          return;
        }
        sources.upstreams().then((u) => send(200, 'application/json', `${JSON.stringify(u, null, 2)}\n`), fail);
        return;
      }
      case '/healthz':
        send(200, 'application/json', `{"status":"${sources.state()}"}\n`);
        return;
      case '/readyz':
        if (sources.ready()) send(200, 'application/json', '{"status":"ready"}\n');
        else send(503, 'application/json', `{"status":"${sources.state()}"}\n`);
        return;
      default:
        send(404, 'text/plain', 'not found: try /metrics, /upstreams, /readyz, /healthz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  const { host, port } = parseAddress(address) as { host: string; port: number };
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(bindError('admin.address', address, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const a = server.address() as { address: string; port: number };
  return { server, port: a.port, host: a.address };
}
