import type { StatusExtension } from '@tsgi/arbiter';
import { upstreamsReadVerdict } from './admin-reads.js';
import { handleAdminWrite, type AdminControl } from './admin-writes.js';

/**
 * The proxy's routes on the arbiter's status port (beside `/metrics`, `/healthz`, `/readyz`): `GET /upstreams`
 * (JSON view of every worker's groups and endpoints; loopback peers or the bearer token only, admin-reads.ts) and
 * the authenticated write endpoints (admin-writes.ts).
 */
export function adminRoutes(upstreams: () => Promise<unknown>, control: AdminControl): StatusExtension {
  return {
    methods: ['POST'],
    paths: ['/upstreams'],
    handle(req, res, path, reply) {
      if (req.method === 'POST') {
        handleAdminWrite(req, res, path, control, reply);
        return true;
      }
      if (path !== '/upstreams' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      const refused = upstreamsReadVerdict(req, control.token);
      if (refused !== null) {
        if (refused.status === 401) res.setHeader('www-authenticate', 'Bearer realm="tsgi-proxy admin"');
        reply(refused.status, 'application/json', `${JSON.stringify({ error: refused.error })}\n`);
        return true;
      }
      upstreams().then(
        (u) => reply(200, 'application/json', `${JSON.stringify(u, null, 2)}\n`),
        (err: Error) => reply(500, 'text/plain', `admin error: ${err.message}\n`),
      );
      return true;
    },
  };
}
