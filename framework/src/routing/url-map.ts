import { BuildError, RouteError } from '../errors.js';
import { DEFAULT_CONVERTERS, ValidationError, type ConverterClass } from './converters.js';
import { StateMachineMatcher, type DomainFilter, type MatchResult } from './matcher.js';
import { Rule, type RuleOptions } from './rule.js';

/** Values for `urlFor`: path variables first, the rest become the query string. */
export type UrlValues = Readonly<Record<string, unknown>>;

export interface BuildOptions {
  /** SCRIPT_NAME to prefix (the mount point of the app). */
  scriptName?: string;
  /** The request's domain ('' or its subdomain, its host with host matching): a rule on another domain builds an absolute URL. */
  domain?: string;
  /** With subdomain matching: the server name subdomains are joined to. */
  serverName?: string;
  /** Absolute URL: needs scheme and host. */
  external?: { scheme: string; host: string };
  /** Appended as `#anchor`. */
  anchor?: string;
  /** Pick the rule that allows this method. */
  method?: string;
}

// Werkzeug's _urlencode (urllib's quote_plus with safe "!$'()*,/:;?@"): a space is '+'.
const QUERY_UNSAFE = /[^A-Za-z0-9\-._~!$'()*,/:;?@]/g;
// Flask's url_for: quote(anchor, safe="%!#$&'()*+,/:;=?@"): an already-quoted %20 stays as it is.
const FRAGMENT_UNSAFE = /[^A-Za-z0-9\-._~!#$&'()*+,/:;=?@%]/g;

function quoteQuery(text: string): string {
  return text.replace(QUERY_UNSAFE, (ch) => (ch === ' ' ? '+' : encodeURIComponent(ch)));
}

/** Encodes extra urlFor values as a query string; arrays repeat the key, null/undefined are left out. */
export function encodeQuery(values: Iterable<[string, unknown]>): string {
  const out: string[] = [];
  for (const [key, value] of values) {
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      if (item === undefined || item === null) continue;
      out.push(`${quoteQuery(key)}=${quoteQuery(String(item))}`);
    }
  }
  return out.join('&');
}

/** Werkzeug's `Map`: the rules of one app, its converters, matching and URL building. */
export class UrlMap {
  readonly converters = new Map<string, ConverterClass>(Object.entries(DEFAULT_CONVERTERS));
  readonly rules: Rule[] = [];
  private readonly byEndpoint = new Map<string, Rule[]>();
  /** Build order per endpoint, computed once after each change (matching reads it for defaults redirects). */
  private readonly sortedByEndpoint = new Map<string, Rule[]>();
  /** Endpoints with a rule that carries defaults: only their matches can need a defaults redirect. */
  private readonly withDefaults = new Set<string>();
  private readonly matcher = new StateMachineMatcher();

  /** Compiles and adds a rule; throws `RouteError` (FW_ERR_ROUTE_*) when malformed or duplicated. */
  add(ruleText: string, options: RuleOptions): Rule {
    const rule = new Rule(ruleText, options, this.converters);
    for (const existing of this.rules) {
      if (existing.rule !== rule.rule || existing.domain?.source !== rule.domain?.source) continue;
      const clash = [...rule.methods].filter((m) => m !== 'OPTIONS' && m !== 'HEAD' && existing.methods.has(m));
      if (clash.length > 0) throw new RouteError('FW_ERR_ROUTE_DUPLICATE', ruleText, `already registered for ${clash.join(', ')} (endpoint "${existing.endpoint}")`);
    }
    rule.index = this.rules.length;
    this.sortedByEndpoint.delete(rule.endpoint);
    if (rule.defaults !== undefined) this.withDefaults.add(rule.endpoint);
    if (rule.domain !== undefined) this.domainRules++;
    this.rules.push(rule);
    const list = this.byEndpoint.get(rule.endpoint);
    if (list) {
      list.push(rule);
    } else this.byEndpoint.set(rule.endpoint, [rule]);
    this.matcher.add(rule);
    return rule;
  }

  /** Host matching (Werkzeug's `host_matching`): rules carry `host` patterns, plain rules serve any host. */
  hostMatching = false;
  private domainRules = 0;

  /** Matches a request; `domain` is its subdomain ('' for the server name itself), or its host with host matching. */
  match(path: string, method: string, domain = ''): MatchResult {
    return this.matcher.match(path, method, this.domainFilter(domain));
  }

  private domainFilter(domain: string): DomainFilter | undefined {
    if (this.domainRules === 0 && (domain === '' || this.hostMatching)) return undefined;
    return { domain, anyHost: this.hostMatching };
  }

  /** The converted subdomain/host variables of a matched rule. */
  domainValues(rule: Rule, domain: string): Record<string, unknown> | undefined {
    if (rule.domain === undefined) return undefined;
    const values = rule.domain.match(domain);
    if (values === undefined) return undefined;
    return Object.fromEntries(rule.domain.names.map((name, i) => [name, values[i]]));
  }

  /** Every method some rule allows for this path (for OPTIONS and Allow). */
  allowedMethods(path: string, domain = ''): string[] {
    const result = this.matcher.match(path, '\0', this.domainFilter(domain));
    return result.kind === 'none' ? [...result.allowed] : [];
  }

  /**
   * Werkzeug's redirect_defaults: when an earlier rule of the same endpoint is
   * the defaulted form of these values (`/page/` for `/page/1` with page=1),
   * the path to redirect to; undefined otherwise.
   */
  defaultRedirect(rule: Rule, values: Readonly<Record<string, unknown>>, method: string): string | undefined {
    if (!this.withDefaults.has(rule.endpoint)) return undefined;
    for (const other of this.buildOrder(rule.endpoint)) {
      if (other === rule) break;
      if (other.providesDefaultsFor(rule) && other.suitableFor(values, method)) return this.buildPath(other, { ...values, ...other.defaults });
    }
    return undefined;
  }

  /** The path an alias rule redirects to: the endpoint built from the matched values without aliases. */
  aliasRedirect(rule: Rule, values: Readonly<Record<string, unknown>>, method: string): string | undefined {
    for (const other of this.buildOrder(rule.endpoint)) {
      if (other.alias || !other.suitableFor(values, method)) continue;
      const path = this.tryBuildPath(other, values);
      if (path !== undefined) return path;
    }
    return undefined;
  }

  /** The host of a rule bound to another domain than the request's (Werkzeug builds those as absolute URLs). */
  private buildHost(rule: Rule, values: UrlValues, options: BuildOptions): string | undefined {
    if (rule.domain === undefined) return undefined;
    const domain = rule.domain.build(values);
    if (domain === options.domain && !options.external) return undefined;
    if (this.hostMatching) return domain;
    return options.serverName === undefined ? undefined : domain === '' ? options.serverName : `${domain}.${options.serverName}`;
  }

  private buildOrder(endpoint: string): Rule[] {
    const cached = this.sortedByEndpoint.get(endpoint);
    if (cached !== undefined) return cached;
    const rules = this.byEndpoint.get(endpoint) ?? [];
    // Werkzeug's build_compare_key: aliases last, then more arguments, then more defaults first.
    const sorted = [...rules].sort((a, b) => Number(a.alias) - Number(b.alias) || b.arguments.size - a.arguments.size || Object.keys(b.defaults ?? {}).length - Object.keys(a.defaults ?? {}).length || a.index - b.index);
    this.sortedByEndpoint.set(endpoint, sorted);
    return sorted;
  }

  private buildPath(rule: Rule, values: Readonly<Record<string, unknown>>): string {
    let path = '';
    for (const piece of rule.buildPieces) path += typeof piece === 'string' ? piece : piece.converter.toUrl(values[piece.name]);
    return path;
  }

  private tryBuildPath(rule: Rule, values: Readonly<Record<string, unknown>>): string | undefined {
    try {
      return this.buildPath(rule, values);
    } catch (error) {
      if (error instanceof ValidationError) return undefined;
      throw error;
    }
  }

  hasEndpoint(endpoint: string): boolean {
    return this.byEndpoint.has(endpoint);
  }

  /** Reverse routing: the URL of `endpoint` with `values`; extra values go to the query string. */
  build(endpoint: string, values: UrlValues = {}, options: BuildOptions = {}): string {
    if (!this.byEndpoint.has(endpoint)) throw new BuildError(endpoint, 'no such endpoint');
    let lastProblem = 'no rule accepts these values';
    for (const rule of this.buildOrder(endpoint)) {
      if (!rule.suitableFor(values, options.method)) {
        const missing = rule.argNames.filter((name) => values[name] === undefined || values[name] === null);
        if (missing.length > 0) lastProblem = `missing value for ${missing.join(', ')}`;
        continue;
      }
      let path: string;
      try {
        path = this.buildPath(rule, values);
      } catch (error) {
        if (error instanceof ValidationError) {
          lastProblem = error.message;
          continue;
        }
        throw error;
      }
      const extra = Object.entries(values).filter(([key]) => !rule.arguments.has(key));
      const query = extra.length > 0 ? encodeQuery(extra) : '';
      let url = (options.scriptName ?? '') + path + (query ? `?${query}` : '');
      if (options.anchor !== undefined) url += `#${options.anchor.replace(FRAGMENT_UNSAFE, (ch) => encodeURIComponent(ch))}`;
      const host = this.buildHost(rule, values, options);
      if (host !== undefined) return `${options.external?.scheme ?? 'http'}://${host}${url}`;
      if (options.external) url = `${options.external.scheme}://${options.external.host}${url}`;
      return url;
    }
    throw new BuildError(endpoint, lastProblem);
  }
}
