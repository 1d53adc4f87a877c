import type { RouteConfig } from '../config/config.js';

interface CompiledRoute<T> {
  host: string;
  /** 0: exact host, 1: `*.suffix`, 2: any host. */
  hostKind: number;
  path: string;
  target: T;
}

/**
 * Routes by host then longest path prefix, as nginx server_name + location:
 * an exact host beats `*.example.com`, which beats `*`; within a host the
 * longest prefix wins. Prefixes match whole segments (`/api` matches `/api`,
 * `/api/x`, `/api?q`, not `/apix`).
 */
export class Router<T> {
  private readonly routes: CompiledRoute<T>[];

  constructor(routes: readonly RouteConfig[], resolve: (upstream: string, route: RouteConfig) => T) {
    this.routes = routes.map((r) => {
      const host = r.host.toLowerCase();
      const hostKind = host === '*' ? 2 : host.startsWith('*.') ? 1 : 0;
      return { host: hostKind === 1 ? host.slice(1) : host, hostKind, path: r.path, target: resolve(r.upstream, r) };
    });
    this.routes.sort((a, b) => a.hostKind - b.hostKind || b.path.length - a.path.length);
  }

  match(hostHeader: string, target: string): T | null {
    let host = hostHeader;
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !host.endsWith(']')) host = host.slice(0, colon);
    host = host.toLowerCase();
    for (const r of this.routes) {
      if (r.hostKind === 0 ? r.host !== host : r.hostKind === 1 ? !host.endsWith(r.host) : false) continue;
      if (prefixMatches(r.path, target)) return r.target;
    }
    return null;
  }
}

function prefixMatches(prefix: string, target: string): boolean {
  if (prefix === '/') return true;
  if (!target.startsWith(prefix)) return false;
  if (target.length === prefix.length || prefix.endsWith('/')) return true;
  const c = target.charCodeAt(prefix.length);
  return c === 47 /* / */ || c === 63 /* ? */;
}
