import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { dashboardQueries, expandGrafanaVariables } from '../src/prometheus.js';
import { REPO_ROOT } from '../src/repo.js';

// The Grafana dashboard filtered on job="tsgi-app", Compose's job name, so its panels were empty under any
// other scrape config. Now a `job` variable (all of our jobs by default) selects the series, and the panels
// hold under Compose's and the Prometheus Operator's job names (tsgi-app, tsgi-proxy) and under an
// annotation-based scrape, where both tiers and every other annotated pod share one job.
const FILE = join(REPO_ROOT, 'deploy/grafana/dashboards/tsgi.json');
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as {
  templating: { list: { name: string; type: string; multi?: boolean; includeAll?: boolean; definition?: string; datasource?: { uid?: string }; current?: { value?: unknown } }[] };
};
const queries = dashboardQueries(FILE);
const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const parent = mkdtempSync(join(tmpdir(), 'tsgi-dashboard-'));
after(() => rmSync(parent, { recursive: true, force: true }));

it('has a job variable over our own series: several values, All by default, on the chosen datasource', () => {
  const job = dashboard.templating.list.find((v) => v.name === 'job');
  assert.ok(job, 'a variable named job');
  assert.equal(job.type, 'query');
  assert.equal(job.multi, true);
  assert.equal(job.includeAll, true);
  assert.deepEqual(job.current?.value, ['$__all']);
  assert.equal(job.datasource?.uid, '${datasource}');
  assert.match(job.definition ?? '', /^label_values\(\{__name__=~"tsgi_\.\+"\}, job\)$/);
});

it('selects every series of every panel by job=~"$job", names no job, and keeps generic metrics to our instances', () => {
  assert.ok(queries.length >= 20, `${queries.length} queries`);
  for (const q of queries) {
    const where = `${q.panel} ${q.refId}: ${q.expr}`;
    assert.doesNotMatch(q.expr, /job\s*=~?\s*"(?!\$job")/, `${where}: no literal job`);
    for (const m of q.expr.matchAll(/\b(tsgi_\w+|nodejs_\w+|process_\w+|up)\b(\{[^}]*\})?/g)) {
      assert.match(m[2] ?? '', /job=~"\$job"/, `${where}: ${m[1]} is selected by $job`);
    }
    // An annotation-based scrape puts every annotated pod in one job: a metric every Node process has
    // is kept to the instances that also export ours.
    if (/\b(nodejs_|process_|up\b)/.test(q.expr)) assert.match(q.expr, /and on \(instance\)/, `${where}: joined to our instances`);
  }
});

describe('evaluated by promtool under three scrape configs', { skip: PROMTOOL ? false : 'promtool is not installed' }, () => {
  // Each style's series as Prometheus would label them, and the regex Grafana makes of the job values it finds.
  const STYLES = {
    compose: { app: 'tsgi-app', proxy: 'tsgi-proxy', other: null, jobs: '(tsgi-app|tsgi-proxy)' },
    operator: { app: 'tsgi-app', proxy: 'tsgi-proxy', other: null, jobs: '(tsgi-app|tsgi-proxy)' },
    annotations: { app: 'kubernetes-pods', proxy: 'kubernetes-pods', other: 'kubernetes-pods', jobs: '(kubernetes-pods)' },
  } as const;
  const byTitle = (title: string, refId = 'A'): string => {
    const q = queries.find((x) => x.panel === title && x.refId === refId);
    assert.ok(q, `a panel "${title}" ${refId}`);
    return q.expr;
  };

  it('parses every panel query (promtool check rules)', () => {
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: expandGrafanaVariables(q.expr, STYLES.compose.jobs) }));
    const file = join(parent, 'dashboard-rules.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  for (const [style, s] of Object.entries(STYLES)) {
    it(`${style}: the edge's request rate, the app's event-loop lag and each tier's memory come out right`, () => {
      const series = [
        { series: `tsgi_proxy_requests_total{job="${s.proxy}",instance="proxy-1:9100",upstream="app",status="200"}`, values: '0+60x10' },
        { series: `tsgi_http_requests_in_flight{job="${s.app}",instance="app-1:9000"}`, values: '0x10' },
        { series: `nodejs_eventloop_lag_p99_seconds{job="${s.app}",instance="app-1:9000"}`, values: '0.02x10' },
        { series: `nodejs_eventloop_lag_p99_seconds{job="${s.proxy}",instance="proxy-1:9100"}`, values: '0.5x10' },
        { series: `process_resident_memory_bytes{job="${s.app}",instance="app-1:9000"}`, values: '100x10' },
        { series: `process_resident_memory_bytes{job="${s.proxy}",instance="proxy-1:9100"}`, values: '200x10' },
        ...(s.other === null ? [] : [{ series: `process_resident_memory_bytes{job="${s.other}",instance="someone-else:8080"}`, values: '999x10' }]),
      ];
      const expr = (title: string, refId?: string): string => expandGrafanaVariables(byTitle(title, refId), s.jobs).replaceAll('[1m]', '[5m]');
      const test = {
        tests: [
          {
            interval: '1m',
            input_series: series,
            promql_expr_test: [
              { expr: expr('Requests/s at the edge'), eval_time: '5m', exp_samples: [{ labels: '{}', value: 1 }] },
              { expr: expr('In-flight requests and event-loop lag', 'B'), eval_time: '5m', exp_samples: [{ labels: '{instance="app-1:9000"}', value: 0.02 }] },
              {
                expr: expr('Resident memory per replica'),
                eval_time: '5m',
                exp_samples: [
                  { labels: `{job="${s.app}",instance="app-1:9000"}`, value: 100 },
                  { labels: `{job="${s.proxy}",instance="proxy-1:9100"}`, value: 200 },
                ],
              },
            ],
          },
        ],
      };
      const file = join(parent, `${style}.test.yaml`);
      writeFileSync(file, stringify(test));
      const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });
  }
});
