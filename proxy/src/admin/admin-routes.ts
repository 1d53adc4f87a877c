import type { StatusExtension } from '@tsgi/arbiter';
import { handleAdminWrite, type AdminControl } from './admin-writes.js';

/**
 * The proxy's routes on the arbiter's status port (beside `/metrics`, `/healthz`, `/readyz`): `GET /upstreams`
 * (JSON view of every worker's groups and endpoints) and the authenticated write endpoints (admin-writes.ts).
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
      upstreams().then(
        (u) => reply(200, 'application/json', `${JSON.stringify(u, null, 2)}\n`),
        (err: Error) => reply(500, 'text/plain', `admin error: ${err.message}\n`),
      );
      return true;
    },
  };
}
