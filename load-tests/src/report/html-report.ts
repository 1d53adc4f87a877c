import type { ScenarioResult } from '../result-types.js';
import { CHART_SCRIPT } from './chart-script.js';

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside a <script> element: no `</script>` or `<!--` can close it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * A self-contained HTML report: tables (readable without JS) and three SVG
 * charts drawn by inline script from the embedded result JSON. Opens from
 * disk, loads nothing from the network.
 */
export function renderHtml(result: ScenarioResult): string {
  const m = result.machine;
  const failed = result.verdicts.filter((v) => !v.holds).length;
  const headline =
    result.headline && result.headline.length > 0
      ? result.headline
      : [result.verdicts.length === 0 ? 'No checks in this scenario.' : failed === 0 ? `PASS: all ${result.verdicts.length} checks hold.` : `FAIL: ${failed} of ${result.verdicts.length} checks failed.`];
  const [verdictLine, ...tierLines] = headline;
  // In containers each counted unit is a replica (a container with one worker and `cpus:`).
  const inContainers = result.matrix?.topology === 'containers';
  const unit = inContainers ? 'replicas' : 'workers';
  const budget = result.matrix?.budgetCores;
  const matrixBudget = inContainers
    ? budget ? ` (cpus: ${budget} per replica, a container of one worker)` : ' (one worker per replica, no CPU limit)'
    : budget ? ` (${budget} core per worker, a cgroup quota)` : ' (one core per worker, unbudgeted)';
  const matrixRows = (result.matrix?.cells ?? []).map((c) => [
    c.variant,
    c.proxyWorkers,
    c.appWorkers,
    c.rps.toFixed(0),
    c.p99Ms,
    `${Math.round(c.utilisation.proxy * 100)} %`,
    `${Math.round(c.utilisation.app * 100)} %`,
    c.bottleneck,
  ]);
  const budgetRows = result.variants.flatMap((v) =>
    (v.budgets ?? []).map((b) => [v.name, b.tier, b.pid, b.budgetCores.toFixed(2), b.usedCores.toFixed(3), `${Math.round((b.usedCores / b.budgetCores) * 100)} %`, b.throttledMs.toFixed(0)]),
  );
  const variantRows = result.variants.map((v) => [
    v.name,
    Object.entries(v.params).map(([k, x]) => `${k}=${x}`).join(', '),
    v.rps.toFixed(0),
    v.latency.p50,
    v.latency.p90,
    v.latency.p99,
    v.latency.p999,
    v.responses + v.errors,
    v.errors + v.non2xx,
    (v.machineCores ?? 0).toFixed(2),
    (v.events ?? []).join('; '),
  ]);
  const cpuRows = result.variants.flatMap((v) =>
    v.cpu.map((g) => [v.name, g.group, g.processes, g.cores.toFixed(2), g.cpuUsPerRequest.toFixed(1), (g.rssBytes / 1048576).toFixed(1)]),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>TSGI load test: ${esc(result.scenario)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #111; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
th, td { border: 1px solid #d1d5db; padding: 4px 8px; text-align: right; }
th { background: #f3f4f6; } td:first-child, th:first-child { text-align: left; }
.pass { color: #166534; } .fail { color: #b91c1c; }
.chart-box { margin: 8px 0 24px; } code { background: #f3f4f6; padding: 1px 4px; }
.verdict { font-size: 18px; font-weight: bold; } .tier-proxy { color: #2563eb; } .tier-app { color: #16a34a; }
</style>
</head>
<body>
<h1>Load test: ${esc(result.scenario)}</h1>
<p id="verdict" class="verdict ${failed === 0 ? 'pass' : 'fail'}">${esc(verdictLine)}</p>
${tierLines.length > 0 ? `<ul id="tier-sentences">${tierLines.map((l) => `<li class="tier-${l.startsWith('proxy') ? 'proxy' : 'app'}">${esc(l)}</li>`).join('')}</ul>` : ''}
<h2>Checks</h2>
${result.verdicts.length > 0 ? table(['claim', 'holds', 'detail'], result.verdicts.map((v) => [v.claim, v.holds ? 'yes' : 'NO', v.detail])) : '<p>No claims checked in this scenario.</p>'}
${
  matrixRows.length > 0
    ? `<h2>Scaling matrix</h2>
<p>Each cell: throughput (shade), and which tier was the limit (border and label): the tier that used at least 80 % of the CPU it may use${matrixBudget}.</p>
<div class="chart-box" id="chart-matrix"></div>
${table(['cell', `proxy ${unit}`, `app ${unit}`, 'req/s', 'p99 ms', 'proxy CPU of allowed', 'app CPU of allowed', 'bottleneck'], matrixRows)}`
    : ''
}
${
  result.capacity
    ? `<h2>Capacity for ${esc(result.capacity.model.targetRate)} req/s</h2>
<p>${esc(result.capacity.explanation)} The numbers are written as <code>capacity-patch.yaml</code> next to this report.</p>
${table(['tier', 'req/s per core (measured)', 'replicas', 'workers per replica', 'CPU request', 'CPU limit', 'expected use of limit'], result.capacity.tiers.map((t) => [t.tier, t.perCoreRps, t.replicas, t.workersPerReplica, `${t.cpuRequestMillis}m`, t.cpuLimit, `${Math.round(t.expectedUtilisation * 100)} %`]))}`
    : ''
}
<h2>Details</h2>
<p>${esc(result.description)}</p>
<p>Machine: <b>${esc(m.cores)} cores</b>, ${esc(m.cpuModel)}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${esc(m.node)}, load average at start ${esc(m.loadAverage.join(' / '))}.
Run ${esc(result.startedAt)} to ${esc(result.finishedAt)}: ${esc(result.settings.rounds)} interleaved round(s) of ${esc(result.settings.durationS)} s per variant after ${esc(result.settings.warmupS)} s warm-up, ${esc(result.settings.connections)} connections, <code>${esc(result.settings.path)}</code>.</p>
<p>Command: <code>${esc(result.command)}</code></p>
<h2>Throughput per configuration</h2>
<div class="chart-box" id="chart-throughput"></div>
${table(['variant', 'configuration', 'req/s (2xx)', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'sent', 'failed', 'machine busy (cores)', 'events'], variantRows)}
<p>"machine busy" counts every process on the machine, not only this run's: on a shared machine the difference is load from outside the run.</p>
<h2>Ratios</h2>
${result.ratios.length > 0 ? table(['variant', 'against', 'throughput', 'p99', 'lowest round', 'highest round'], result.ratios.map((r) => [r.variant, r.baseline, `${r.rps.toFixed(2)} x`, `${r.p99.toFixed(2)} x`, r.roundMin.toFixed(2), r.roundMax.toFixed(2)])) : '<p>No ratios (one variant).</p>'}
<h2>Latency percentiles</h2>
<div class="chart-box" id="chart-latency"></div>
<h2>CPU per request by process</h2>
<div class="chart-box" id="chart-cpu"></div>
${table(['variant', 'processes', 'count', 'cores used', 'CPU us / request', 'RSS MiB'], cpuRows)}
${budgetRows.length > 0 ? `<h2>CPU budgets</h2>
<p>Every budgeted process: the quota it had and what it used over the measured stages.</p>
${table(['variant', 'tier', 'pid', 'budget (cores)', 'used (cores)', 'used of budget', 'throttled ms'], budgetRows)}` : ''}
${result.notes.length > 0 ? `<h2>Notes</h2><ul>${result.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${result.skipped.length > 0 ? `<h2>Skipped</h2><ul>${result.skipped.map((s) => `<li>${esc(s.variant)}: ${esc(s.reason)}</li>`).join('')}</ul>` : ''}
<script type="application/json" id="result-data">${scriptJson(result)}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
