import { ConfigError } from '../errors.js';
import type { Verdict, VariantResult } from '../result-types.js';

/** A latency percentile or statistic of the variant's HDR summary, in ms. */
type LatencyMetric = 'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean';

/** One objective, e.g. `p99<200ms`: metric, direction and bound (ms, a fraction, or req/s). */
export interface SloCheck {
  text: string;
  metric: LatencyMetric | 'errors' | 'rps';
  op: '<' | '<=' | '>' | '>=';
  bound: number;
}

/** Constant or ramping arrival rate for the open model (`--rate`). */
export interface RateSpec {
  from: number;
  to: number;
}

const LATENCY: readonly string[] = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'];
const TERM = /^(p50|p90|p99|p999|max|mean|errors|rps)\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|%)?$/;

function bad(why: string, from: string): never {
  throw new ConfigError(`config: slo ${why} (from ${from})`);
}

/**
 * `p99<200ms,errors<0.1%,rps>500` → checks. The grammar is k6's threshold
 * idea cut to what the runner measures: latencies in ms or s, errors as a
 * percentage of requests, throughput in 2xx responses per second.
 */
export function parseSlo(text: string, from = '--slo'): SloCheck[] {
  const terms = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (terms.length === 0) bad('is empty', from);
  return terms.map((term) => {
    const m = TERM.exec(term);
    if (!m) bad(`term "${term}" is not <metric><op><number><unit> (metrics: p50 p90 p99 p999 max mean errors rps)`, from);
    const [, metric, op, num, unit] = m as unknown as [string, SloCheck['metric'], SloCheck['op'], string, string | undefined];
    let bound = Number(num);
    if (LATENCY.includes(metric)) {
      if (unit !== 'ms' && unit !== 's') bad(`term "${term}" needs a unit, ms or s`, from);
      if (unit === 's') bound *= 1000;
    } else if (metric === 'errors') {
      if (unit !== '%') bad(`term "${term}" needs %`, from);
      bound /= 100;
    } else if (unit !== undefined) bad(`term "${term}": rps takes no unit`, from);
    return { text: term, metric, op, bound };
  });
}

/** `500` or `100-1000` (a ramp) → the rate spec. */
export function parseRate(text: string, from = '--rate'): RateSpec {
  const m = /^([0-9]+(?:\.[0-9]+)?)(?:-([0-9]+(?:\.[0-9]+)?))?$/.exec(text.trim());
  const a = Number(m?.[1]);
  const b = m?.[2] === undefined ? a : Number(m[2]);
  if (!m || !(a > 0) || !(b > 0) || a > 1e6 || b > 1e6) {
    throw new ConfigError(`config: rate must be requests/s (R, or R1-R2 for a ramp), each 0 < R <= 1000000, got "${text}" (from ${from})`);
  }
  return { from: a, to: b };
}

/** Failed requests (no response, or not 2xx) over all requests sent. */
export function errorRatio(v: VariantResult): number {
  const sent = v.responses + v.errors;
  return sent > 0 ? (v.errors + v.responses - v.ok) / sent : 0;
}

function measured(v: VariantResult, metric: SloCheck['metric']): number {
  if (metric === 'errors') return errorRatio(v);
  if (metric === 'rps') return v.rps;
  return v.latency[metric];
}

function holds(value: number, op: SloCheck['op'], bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
  }
}

function show(metric: SloCheck['metric'], value: number): string {
  if (metric === 'errors') return `${(value * 100).toFixed(3)} %`;
  if (metric === 'rps') return `${value.toFixed(0)} req/s`;
  return `${value.toFixed(2)} ms`;
}

/** One verdict per objective per variant. */
export function sloVerdicts(checks: readonly SloCheck[], variants: readonly VariantResult[]): Verdict[] {
  return variants.flatMap((v) =>
    checks.map((c) => {
      const value = measured(v, c.metric);
      return { claim: `SLO ${c.text} for ${v.name}`, holds: holds(value, c.op, c.bound), detail: `measured ${show(c.metric, value)}` };
    }),
  );
}
