import { readFileSync } from 'node:fs';

/** One series of an instant query. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant PromQL query against Prometheus' HTTP API; throws on an API error. */
export async function query(base: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

/** Active scrape targets by job: how many are up. */
export async function targetsUp(base: string): Promise<Map<string, number>> {
  const res = await fetch(`${base}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } };
  const up = new Map<string, number>();
  for (const t of body.data.activeTargets) {
    const job = t.labels.job;
    if (t.health === 'up' && job !== undefined) up.set(job, (up.get(job) ?? 0) + 1);
  }
  return up;
}

/** One PromQL target of a Grafana panel. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of a Grafana dashboard JSON file (rows' nested panels included). */
export function dashboardQueries(file: string): PanelQuery[] {
  const dash = JSON.parse(readFileSync(file, 'utf8')) as { panels?: Panel[] };
  const out: PanelQuery[] = [];
  const walk = (panels: Panel[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '(untitled)', refId: t.refId ?? '?', expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dash.panels);
  return out;
}

/**
 * Replaces Grafana's built-in range variables the way Grafana would for a short dashboard range, and the
 * dashboard's `$job` with the regex Grafana builds from the values chosen (all jobs by default).
 */
export function expandGrafanaVariables(expr: string, jobs = '.+'): string {
  return expr
    .replaceAll('$job', jobs)
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '15m');
}
