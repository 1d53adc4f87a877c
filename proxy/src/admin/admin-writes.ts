import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerMatches } from './admin-token.js';
import type { AdminState, EndpointOverride } from '../upstream/endpoint-overrides.js';

/** What the admin port's write endpoints act on (the master's view of every worker). */
export interface AdminControl {
  /** The bearer token writes need; null: writes are refused (403). */
  token: string | null;
  /** The endpoint addresses the group has now (every worker's together); null when there is no such group. */
  endpoints(group: string): Promise<string[] | null>;
  /** Records the change and applies it in every worker (now and later ones, across HUP); resolves once every live worker has it. */
  set(group: string, endpoint: string, change: { state?: AdminState; weight?: number | null }): Promise<EndpointOverride>;
  /** Re-reads the config as on SIGHUP. */
  reload(): void;
}

type Send = (status: number, type: string, body: string) => void;

const ENDPOINT_ACTION = /^\/upstreams\/([^/]+)\/endpoints\/([^/]+)\/(disable|enable|drain|weight)$/;
const STATES: Record<string, AdminState> = { disable: 'disabled', enable: 'enabled', drain: 'drain' };
const MAX_BODY = 1024;

/**
 * The admin port's POST endpoints (HAProxy's runtime API `set server`, nginx Plus's `/api/.../servers`):
 * `/upstreams/<group>/endpoints/<address>/disable|enable|drain`, `.../weight` with `{"weight": N}`, and
 * `/reload`. Each needs `Authorization: Bearer <token>`; with no token configured every write is refused.
 */
export function handleAdminWrite(req: IncomingMessage, res: ServerResponse, path: string, control: AdminControl, send: Send): void {
  const json = (status: number, body: unknown): void => send(status, 'application/json', `${JSON.stringify(body)}\n`);
  const action = ENDPOINT_ACTION.exec(path);
  if (path !== '/reload' && action === null) return json(404, { error: 'not found: POST /upstreams/<group>/endpoints/<address>/{disable,enable,drain,weight} or /reload' });
  if (control.token === null) {
    return json(403, { error: 'admin writes are off: set admin.tokenFile or TSGI_PROXY_ADMIN_TOKEN to enable them' });
  }
  if (!bearerMatches(req.headers.authorization, control.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="tsgi-proxy admin"');
    return json(401, { error: 'a valid Authorization: Bearer <token> is required' });
  }
  readBody(req).then(
    async (body) => {
      if (action === null) {
        control.reload();
        return json(202, { reload: 'started' });
      }
      const [, rawGroup = '', rawEndpoint = '', verb = ''] = action;
      const group = decodeURIComponent(rawGroup);
      const endpoint = decodeURIComponent(rawEndpoint);
      const known = await control.endpoints(group);
      if (known === null) return json(404, { error: `no upstream group "${group}"` });
      if (!known.includes(endpoint)) return json(404, { error: `upstream "${group}" has no endpoint ${endpoint} (has: ${known.join(', ') || 'none'})` });
      if (verb !== 'weight') return json(200, await control.set(group, endpoint, { state: STATES[verb] as AdminState }));
      const weight = weightOf(body);
      if (weight === undefined) return json(400, { error: 'body must be {"weight": N} with N an integer 1-1000, or {"weight": null} for the configured weight' });
      return json(200, await control.set(group, endpoint, { weight }));
    },
    (err: Error) => json(err.message === 'too large' ? 413 : 400, { error: err.message === 'too large' ? `body over ${MAX_BODY} bytes` : 'could not read the body' }),
  );
}

function weightOf(body: string): number | null | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('weight' in parsed)) return undefined;
  const w = (parsed as { weight: unknown }).weight;
  if (w === null) return null;
  return Number.isInteger(w) && (w as number) >= 1 && (w as number) <= 1000 ? (w as number) : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
