import { BuildError, RouteError } from '../errors.js';
import { DEFAULT_CONVERTERS, ValidationError, type ConverterClass } from './converters.js';
import { StateMachineMatcher, type MatchResult } from './matcher.js';
import { Rule, type RuleOptions } from './rule.js';

/** Values for `urlFor`: path variables first, the rest become the query string. */
export type UrlValues = Readonly<Record<string, unknown>>;

export interface BuildOptions {
  /** SCRIPT_NAME to prefix (the mount point of the app). */
  scriptName?: string;
  /** Absolute URL: needs scheme and host. */
  external?: { scheme: string; host: string };
  /** Appended as `#anchor`. */
  anchor?: string;
  /** Pick the rule that allows this method. */
  method?: string;
}

const QUERY_UNSAFE = /[^A-Za-z0-9\-._~!$'()*,/:;?@]/g;

function quoteQuery(text: string): string {
  return text.replace(QUERY_UNSAFE, (ch) => encodeURIComponent(ch));
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
  private readonly matcher = new StateMachineMatcher();

  /** Compiles and adds a rule; throws `RouteError` (FW_ERR_ROUTE_*) when malformed or duplicated. */
  add(ruleText: string, options: RuleOptions): Rule {
    const rule = new Rule(ruleText, options, this.converters);
    for (const existing of this.rules) {
      if (existing.rule !== rule.rule) continue;
      const clash = [...rule.methods].filter((m) => m !== 'OPTIONS' && m !== 'HEAD' && existing.methods.has(m));
      if (clash.length > 0) throw new RouteError('FW_ERR_ROUTE_DUPLICATE', ruleText, `already registered for ${clash.join(', ')} (endpoint "${existing.endpoint}")`);
    }
    rule.index = this.rules.length;
    this.rules.push(rule);
    const list = this.byEndpoint.get(rule.endpoint);
    if (list) {
      list.push(rule);
      // Werkzeug's build order: rules with more variables, then more defaults, are tried first.
      list.sort((a, b) => b.argNames.length - a.argNames.length || Object.keys(b.defaults ?? {}).length - Object.keys(a.defaults ?? {}).length || a.index - b.index);
    } else this.byEndpoint.set(rule.endpoint, [rule]);
    this.matcher.add(rule);
    return rule;
  }

  match(path: string, method: string): MatchResult {
    return this.matcher.match(path, method);
  }

  /** Every method some rule allows for this path (for OPTIONS and Allow). */
  allowedMethods(path: string): string[] {
    const result = this.matcher.match(path, '\0');
    return result.kind === 'none' ? [...result.allowed] : [];
  }

  hasEndpoint(endpoint: string): boolean {
    return this.byEndpoint.has(endpoint);
  }

  /** Reverse routing: the URL of `endpoint` with `values`; extra values go to the query string. */
  build(endpoint: string, values: UrlValues = {}, options: BuildOptions = {}): string {
    const rules = this.byEndpoint.get(endpoint);
    if (!rules) throw new BuildError(endpoint, 'no such endpoint');
    let lastProblem = 'no rule accepts these values';
    for (const rule of rules) {
      if (options.method !== undefined && !rule.methods.has(options.method.toUpperCase())) continue;
      if (!rule.argNames.every((name) => values[name] !== undefined && values[name] !== null)) {
        lastProblem = `missing value for ${rule.argNames.filter((name) => values[name] === undefined || values[name] === null).join(', ')}`;
        continue;
      }
      // A rule with defaults only builds when the values agree with them (Werkzeug's `suitable_for`).
      if (rule.defaults && Object.entries(rule.defaults).some(([key, value]) => values[key] !== undefined && values[key] !== value)) continue;
      let path = '';
      try {
        for (const piece of rule.buildPieces) path += typeof piece === 'string' ? piece : piece.converter.toUrl(values[piece.name]);
      } catch (error) {
        if (error instanceof ValidationError) {
          lastProblem = error.message;
          continue;
        }
        throw error;
      }
      const used = new Set(rule.argNames);
      if (rule.defaults) for (const key of Object.keys(rule.defaults)) used.add(key);
      const extra = Object.entries(values).filter(([key]) => !used.has(key));
      const query = extra.length > 0 ? encodeQuery(extra) : '';
      let url = (options.scriptName ?? '') + path + (query ? `?${query}` : '');
      if (options.anchor !== undefined) url += `#${quoteQuery(options.anchor)}`;
      if (options.external) url = `${options.external.scheme}://${options.external.host}${url}`;
      return url;
    }
    throw new BuildError(endpoint, lastProblem);
  }
}
