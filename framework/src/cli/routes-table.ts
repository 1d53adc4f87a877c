import type { Rule } from '../routing/rule.js';

export type RouteSort = 'endpoint' | 'methods' | 'rule' | 'match';
export const ROUTE_SORTS: readonly RouteSort[] = ['endpoint', 'methods', 'rule', 'match'];

/** Methods every rule answers that `flask routes` leaves out unless --all-methods. */
const IMPLIED = new Set(['HEAD', 'OPTIONS']);

/**
 * `flask routes`: one row per rule, Endpoint / Methods / Rule (and Domain when
 * a rule has a subdomain or host), sorted by `sort` (`match`: the order the
 * rules are tried, i.e. registration order).
 */
export function routesTable(rules: readonly Rule[], sort: RouteSort, allMethods: boolean): string {
  if (rules.length === 0) return 'No routes were registered.';
  const rows = rules.map((r) => ({
    endpoint: r.endpoint,
    methods: [...r.methods].filter((m) => allMethods || !IMPLIED.has(m)).sort().join(', '),
    rule: r.rule,
    domain: r.domain?.source ?? '',
    index: r.index,
  }));
  if (sort === 'match') rows.sort((a, b) => a.index - b.index);
  else rows.sort((a, b) => (a[sort] < b[sort] ? -1 : a[sort] > b[sort] ? 1 : a.index - b.index));
  const withDomain = rows.some((r) => r.domain !== '');
  const headers = withDomain ? ['Domain', 'Endpoint', 'Methods', 'Rule'] : ['Endpoint', 'Methods', 'Rule'];
  const cells = rows.map((r) => (withDomain ? [r.domain, r.endpoint, r.methods, r.rule] : [r.endpoint, r.methods, r.rule]));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
