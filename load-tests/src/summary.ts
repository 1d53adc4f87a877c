import type { ScenarioResult } from './result-types.js';

/** The plain-text summary printed at the end of a run. */
export function textSummary(r: ScenarioResult): string {
  const lines: string[] = [];
  lines.push(`${r.scenario} on ${r.machine.cores} cores (${r.machine.cpuModel}), ${r.settings.rounds} round(s) x ${r.settings.durationS} s`);
  lines.push(`${'variant'.padEnd(24)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'failed'.padStart(7)} ${'machine cores'.padStart(14)}`);
  for (const v of r.variants) {
    lines.push(
      `${v.name.padEnd(24)} ${v.rps.toFixed(0).padStart(9)} ${v.latency.p50.toFixed(2).padStart(8)} ${v.latency.p99.toFixed(2).padStart(8)} ${String(v.errors + v.non2xx).padStart(7)} ${(v.machineCores ?? 0).toFixed(2).padStart(14)}`,
    );
  }
  for (const x of r.ratios) {
    lines.push(`ratio ${x.variant} / ${x.baseline}: ${x.rps.toFixed(2)} x throughput (rounds ${x.roundMin.toFixed(2)}..${x.roundMax.toFixed(2)}), ${x.p99.toFixed(2)} x p99`);
  }
  for (const v of r.verdicts) lines.push(`${v.holds ? 'PASS' : 'FAIL'} ${v.claim}: ${v.detail}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const s of r.skipped) lines.push(`skipped ${s.variant}: ${s.reason}`);
  return lines.join('\n');
}
