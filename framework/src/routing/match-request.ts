import { ROUTE_KEY } from '@tsgi/gateway';
import type { Context } from '../context.js';
import { MethodNotAllowed, NotFound, RequestRedirect, type HTTPException } from '../http-exceptions.js';
import type { Request } from '../request.js';
import type { View } from '../view.js';
import { quotePathKeepSlash } from './converters.js';
import type { Rule } from './rule.js';
import type { UrlMap } from './url-map.js';

/** What matching reads from the app's config, fixed when the app is (re)configured. */
export interface MatchSettings {
  /** hostMatching or subdomainMatching: route by the Host header too. */
  readonly domainRouting: boolean;
  readonly hostMatching: boolean;
  readonly serverName: string | undefined;
}

const EMPTY_PARAMS = Object.freeze({});

/**
 * Flask's `match_request`: routes the request and fills the context in
 * (rule, endpoint, blueprint, params, domain). A failed match or a redirect
 * the routing asks for lands in `ctx.routingError`, raised later by
 * `dispatchRequest`, so the before-request hooks still run (as in Flask).
 */
export function matchRequest(ctx: Context, urlMap: UrlMap, views: ReadonlyMap<string, View>, settings: MatchSettings): void {
  const request = ctx.request;
  if (settings.domainRouting) ctx.domain = requestDomain(request, settings);
  const match = urlMap.match(request.path, request.method, ctx.domain);
  if (match.kind === 'match') {
    const rule = match.rule;
    ctx.rule = rule;
    ctx.endpoint = rule.endpoint;
    ctx.blueprint = views.get(rule.endpoint)?.blueprintName;
    let params = buildParams(rule, match.values);
    if (rule.domain !== undefined) params = { ...urlMap.domainValues(rule, ctx.domain), ...params };
    ctx.params = params;
    ctx.environ['fw.endpoint'] = rule.endpoint;
    ctx.environ[ROUTE_KEY] = rule.rule;
    ctx.routingError = ruleRedirect(ctx, urlMap, rule, params);
  } else if (match.kind === 'slash') {
    ctx.routingError = redirectTo(ctx, `${request.path}/`);
  } else {
    ctx.routingError = mergedSlashRedirect(ctx, urlMap) ?? (match.allowed.size > 0 ? new MethodNotAllowed([...match.allowed].sort()) : new NotFound());
  }
}

function buildParams(rule: Rule, values: unknown[]): Record<string, unknown> {
  const names = rule.argNames;
  if (names.length === 0 && rule.defaults === undefined) return EMPTY_PARAMS;
  const params: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) params[names[i]!] = values[i];
  if (rule.defaults) for (const key of Object.keys(rule.defaults)) if (!(key in params)) params[key] = rule.defaults[key];
  return params;
}

/** The request's subdomain below serverName ('' for serverName itself), or its host with host matching (default ports dropped). */
function requestDomain(request: Request, settings: MatchSettings): string {
  let host = request.host.toLowerCase();
  const defaultPort = request.scheme === 'https' ? ':443' : ':80';
  if (host.endsWith(defaultPort)) host = host.slice(0, -defaultPort.length);
  if (settings.hostMatching) return host;
  const server = settings.serverName;
  if (server === undefined || host === server) return '';
  // A host outside serverName matches no subdomain rule and no plain rule (Werkzeug's "<invalid>").
  return host.endsWith(`.${server}`) ? host.slice(0, -server.length - 1) : '\0invalid';
}

/** redirect_to rules, alias rules and URLs equal to a rule's defaults answer 308 to the canonical URL (Werkzeug). */
function ruleRedirect(ctx: Context, urlMap: UrlMap, rule: Rule, params: Record<string, unknown>): HTTPException | undefined {
  const method = ctx.request.method;
  if (rule.redirectTo !== undefined) {
    const target = typeof rule.redirectTo === 'function' ? rule.redirectTo(params) : fillTemplate(rule, rule.redirectTo, params);
    return new RequestRedirect(new URL(target, `${ctx.request.hostUrl}${ctx.environ.SCRIPT_NAME}/`).href);
  }
  const path = rule.alias ? urlMap.aliasRedirect(rule, params, method) : urlMap.defaultRedirect(rule, params, method);
  return path === undefined ? undefined : redirectTo(ctx, path);
}

/** `'/new/<id>'` with the matched values, each written by its rule converter. */
function fillTemplate(rule: Rule, template: string, params: Record<string, unknown>): string {
  return template.replace(/<(?:[^>:]+:)?([^>]+)>/g, (_whole, name: string) => {
    const piece = rule.buildPieces.find((p) => typeof p !== 'string' && p.name === name);
    return piece && typeof piece !== 'string' ? piece.converter.toUrl(params[name]) : String(params[name] ?? '');
  });
}

/** A 308 to `path` under this mount point, percent-encoded as Werkzeug does, with the raw query kept. */
function redirectTo(ctx: Context, path: string): RequestRedirect {
  const query = ctx.environ.QUERY_STRING;
  return new RequestRedirect(`${ctx.request.hostUrl}${quotePathKeepSlash(ctx.environ.SCRIPT_NAME + path)}${query ? `?${query}` : ''}`);
}

/** Werkzeug's merge_slashes: a path with '//' that matches once collapsed redirects to the collapsed form. */
function mergedSlashRedirect(ctx: Context, urlMap: UrlMap): RequestRedirect | undefined {
  const path = ctx.request.path;
  if (!path.includes('//')) return undefined;
  const merged = path.replace(/\/{2,}/g, '/');
  const again = urlMap.match(merged, ctx.request.method, ctx.domain);
  if (again.kind === 'match') return redirectTo(ctx, merged);
  if (again.kind === 'slash') return redirectTo(ctx, `${merged}/`);
  return undefined;
}
