import type { App, Environ, ResponseBody, StartResponse } from '@tsgi/gateway';
import { HOST_PATTERN, localLocation, encodePath } from '../shared/location.js';
import { respond, respondText } from '../shared/respond.js';
import { resolveRedirects, type CompiledRule, type RedirectsOptions } from './options.js';

export type { RedirectsOptions, RedirectRule, RedirectStatus } from './options.js';

function redirect(startResponse: StartResponse, status: number, location: string): ResponseBody {
  return respond(startResponse, status, [['Location', location], ['Content-Type', 'text/plain; charset=utf-8']], `Redirecting to ${location}\n`);
}

/**
 * Redirects, in this order: http → https, the redirect map (exact paths
 * first, then the longest matching prefix rule), then the trailing-slash
 * policy. Paths are PATH_INFO (relative to SCRIPT_NAME); local targets are
 * sent as SCRIPT_NAME + target.
 *
 * No open redirect: a Location is a same-host path, re-encoded, with any run
 * of leading `/` or `\` collapsed to one (so `//evil.com`, `/\evil.com` and
 * their encoded forms stay on this host), or the https URL of this request's
 * own (validated) host; only an absolute URL written in the map sends a
 * client elsewhere. A Host header that is not a plain host[:port] gets 400
 * instead of an https redirect.
 */
export function redirects(app: App, options: RedirectsOptions = {}): App {
  const { https, exact, prefixes, trailingSlash, trailingSlashStatus } = resolveRedirects(options);
  const hasMap = exact.size > 0 || prefixes.size > 0;

  function target(environ: Environ, rule: CompiledRule, rest: string): string {
    const query = rule.preserveQuery ? environ.QUERY_STRING : '';
    if (rule.absolute) {
      const base = rest === '' ? rule.to : rule.to.replace(/\/+$/, '') + encodePath(rest);
      return query === '' ? base : `${base}${base.includes('?') ? '&' : '?'}${query}`;
    }
    const joined = rest === '' ? rule.to : rule.to.replace(/\/+$/, '') + rest;
    return localLocation(environ.SCRIPT_NAME + joined, query);
  }

  function matchMap(path: string): [CompiledRule, string] | undefined {
    const hit = exact.get(path);
    if (hit !== undefined) return [hit, ''];
    if (prefixes.size === 0) return undefined;
    let cut = path.length;
    while (cut > 0) {
      const rule = prefixes.get(path.slice(0, cut));
      if (rule !== undefined) return [rule, path.slice(cut)];
      cut = path.lastIndexOf('/', cut - 1);
    }
    const root = prefixes.get('/');
    return root === undefined ? undefined : [root, path];
  }

  return function redirectsApp(environ, startResponse) {
    const path = environ.PATH_INFO;

    if (https !== undefined && environ['tsgi.url_scheme'] !== 'https' && !https.exclude.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) {
      let host = https.host;
      if (host === undefined) {
        const given = environ.HTTP_HOST ?? environ.SERVER_NAME;
        if (!HOST_PATTERN.test(given)) return respondText(startResponse, 400);
        host = given.endsWith(']') || !given.includes(':') ? given : given.slice(0, given.lastIndexOf(':'));
      }
      const authority = https.port === undefined || https.port === 443 ? host : `${host}:${https.port}`;
      const method = environ.REQUEST_METHOD;
      const status = https.status ?? (method === 'GET' || method === 'HEAD' ? 301 : 308);
      return redirect(startResponse, status, `https://${authority}${localLocation(environ.SCRIPT_NAME + path, environ.QUERY_STRING)}`);
    }

    if (hasMap) {
      const m = matchMap(path);
      if (m !== undefined) return redirect(startResponse, m[0].status, target(environ, m[0], m[1]));
    }

    if (trailingSlash === 'add' && path !== '' && !path.endsWith('/')) {
      const last = path.slice(path.lastIndexOf('/') + 1);
      if (!last.includes('.')) return redirect(startResponse, trailingSlashStatus, localLocation(`${environ.SCRIPT_NAME}${path}/`, environ.QUERY_STRING));
    } else if (trailingSlash === 'remove' && path.length > 1 && path.endsWith('/')) {
      const stripped = path.replace(/\/+$/, '');
      return redirect(startResponse, trailingSlashStatus, localLocation(`${environ.SCRIPT_NAME}${stripped || '/'}`, environ.QUERY_STRING));
    }
    return app(environ, startResponse);
  };
}
