import type { IncomingMessage } from 'node:http';
import { ROUTE_KEY } from '@tsgi/gateway';

/** What Express leaves on a request it routed: the matched Route and the mount path of its router. */
interface RoutedRequest {
  [ROUTE_KEY]?: unknown;
  route?: { path?: unknown };
  baseUrl?: unknown;
}

/**
 * The route rule of a finished Node-interface request, for the `route`
 * label: the app's own `req['tsgi.route']` (any framework: Fastify's
 * `request.raw`, Koa's `ctx.req`), else the route Express matched
 * (`req.baseUrl` + `req.route.path`, e.g. `/api` + `/post/:id`), else
 * undefined (unmatched).
 */
export function routeOfNodeRequest(req: IncomingMessage): unknown {
  const r = req as IncomingMessage & RoutedRequest;
  const own = r[ROUTE_KEY];
  if (own !== undefined) return own;
  const path = r.route?.path;
  if (typeof path !== 'string') return undefined;
  return typeof r.baseUrl === 'string' ? r.baseUrl + path : path;
}
