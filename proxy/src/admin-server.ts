import { createServer, type Server } from 'node:http';
import { parseAddress } from './config.js';

/** Where the admin server gets its answers (one worker's, or the master's merge of all workers'). */
export interface AdminSources {
  metrics(): Promise<{ contentType: string; body: string }>;
  upstreams(): Promise<unknown>;
  healthy(): boolean;
}

/**
 * The admin port: `GET /metrics` (Prometheus text), `GET /upstreams` (JSON
 * view of every group's endpoints), `GET /healthz` (200 while serving, 503
 * while draining or before the first worker is ready).
 */
export async function startAdminServer(address: string, sources: AdminSources): Promise<{ server: Server; port: number; host: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'text/plain', 'method not allowed\n');
      return;
    }
    const fail = (err: unknown): void => send(500, 'text/plain', `admin error: ${(err as Error).message}\n`);
    switch (path) {
      case '/metrics':
        sources.metrics().then((m) => send(200, m.contentType, m.body), fail);
        return;
      case '/upstreams':
        sources.upstreams().then((u) => send(200, 'application/json', `${JSON.stringify(u, null, 2)}\n`), fail);
        return;
      case '/healthz':
        if (sources.healthy()) send(200, 'application/json', '{"status":"ok"}\n');
        else send(503, 'application/json', '{"status":"unavailable"}\n');
        return;
      default:
        send(404, 'text/plain', 'not found: try /metrics, /upstreams, /healthz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  const { host, port } = parseAddress(address) as { host: string; port: number };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as { address: string; port: number };
  return { server, port: a.port, host: a.address };
}
