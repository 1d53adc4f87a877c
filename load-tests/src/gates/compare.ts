import { readFileSync } from 'node:fs';
import { messageOf } from '@tsgi/errors';
import { LoadTestError } from '../errors.js';
import type { ScenarioResult, Verdict, VariantResult } from '../result-types.js';

/** Reads an earlier results JSON; a file that is not one is an error naming it. */
export function readBaselineResult(file: string): ScenarioResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LoadTestError('LT_ERR_COMPARE', file, messageOf(err).split('\n')[0] ?? '');
  }
  const r = parsed as Partial<ScenarioResult>;
  if (typeof r.scenario !== 'string' || !Array.isArray(r.variants)) {
    throw new LoadTestError('LT_ERR_COMPARE', file, 'not a load-tests results file (no scenario or variants)');
  }
  return r as ScenarioResult;
}

/**
 * The regression gate: each variant present in both runs may lose at most
 * `tolerance` of its throughput and gain at most `tolerance` on p99. Absolute
 * numbers across runs on a shared machine move; the tolerance is the
 * run-to-run spread the user accepts.
 */
export function compareVerdicts(old: ScenarioResult, variants: readonly VariantResult[], tolerance: number): Verdict[] {
  const byName = new Map(old.variants.map((v) => [v.name, v]));
  const out: Verdict[] = [];
  for (const v of variants) {
    const before = byName.get(v.name);
    if (!before) continue;
    const rpsRatio = before.rps > 0 ? v.rps / before.rps : 1;
    const p99Ratio = before.latency.p99 > 0 ? v.latency.p99 / before.latency.p99 : 1;
    out.push({
      claim: `${v.name}: req/s >= ${(1 - tolerance).toFixed(2)} x the earlier run`,
      holds: rpsRatio >= 1 - tolerance,
      detail: `${v.rps.toFixed(0)} vs ${before.rps.toFixed(0)} req/s = ${rpsRatio.toFixed(2)} x (earlier run ${old.startedAt ?? '?'})`,
    });
    out.push({
      claim: `${v.name}: p99 <= ${(1 + tolerance).toFixed(2)} x the earlier run`,
      holds: p99Ratio <= 1 + tolerance,
      detail: `${v.latency.p99.toFixed(2)} vs ${before.latency.p99.toFixed(2)} ms = ${p99Ratio.toFixed(2)} x`,
    });
  }
  if (out.length === 0) {
    out.push({ claim: `--compare: some variant in common with ${old.scenario}`, holds: false, detail: `none of ${variants.map((v) => v.name).join(', ')} is in the earlier run` });
  }
  return out;
}
