import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ComposeProject, dockerSkipReason, imageExists, runOk } from '../src/docker.js';
import { get, loadLoop, servedHost, waitFor } from '../src/load.js';
import { dashboardQueries, expandGrafanaVariables, query, targetsUp } from '../src/prometheus.js';
import { REPO_ROOT } from '../src/repo.js';

// The Compose stack against a real Docker engine: both images built from
// docker/Dockerfile, the proxy in front of a scaled app service, Prometheus
// scraping both. No image can be pulled here, so everything builds FROM
// BASE_IMAGE (default tsgi/node-base:local, made by ../shared/containers/docker-up.sh)
// and Prometheus runs from Debian's package (docker/prometheus/build-local.sh).

const BASE_IMAGE = process.env.BASE_IMAGE ?? 'tsgi/node-base:local';
const PROMETHEUS_IMAGE = process.env.PROMETHEUS_IMAGE ?? 'tsgi/prometheus:local';
const APP_IMAGE = 'tsgi/app:test';
const PROXY_IMAGE = 'tsgi/proxy:test';

function skipReason(): string | false {
  if (process.env.TSGI_SKIP_CONTAINERS) return 'TSGI_SKIP_CONTAINERS is set';
  const docker = dockerSkipReason();
  if (docker) return docker;
  if (!imageExists(BASE_IMAGE) && process.env.BASE_IMAGE === undefined) {
    return `base image ${BASE_IMAGE} is missing; build it with: bash ../shared/containers/docker-up.sh`;
  }
  return false;
}
const skip = skipReason();

describe('Compose stack (real Docker engine)', { skip, timeout: 15 * 60_000 }, () => {
  const project = new ComposeProject(`tsgi-deploy-test-${process.pid}`, {
    ...process.env,
    BASE_IMAGE,
    PROMETHEUS_IMAGE,
    APP_IMAGE,
    PROXY_IMAGE,
    // npm inside the build needs this network's CA when TLS is intercepted; the
    // local base image carries the host's bundle at this path.
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? (BASE_IMAGE === 'tsgi/node-base:local' ? '/etc/ssl/certs/ca-certificates.crt' : ''),
    // Published on loopback, on ports the engine picks: no clash with a running stack.
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: '0',
    PROXY_ADMIN_PORT: '0',
    PROMETHEUS_PORT: '0',
    PUBLISH_HOST: '127.0.0.1',
  });
  let proxyUrl = '';
  let prometheusUrl = '';

  before(async () => {
    if (process.env.PROMETHEUS_IMAGE === undefined) {
      await runOk(['bash', join(REPO_ROOT, 'docker/prometheus/build-local.sh'), PROMETHEUS_IMAGE], { timeoutMs: 5 * 60_000 });
    }
  });

  after(async () => {
    const r = await project.runLoose(['down', '-v', '--remove-orphans', '-t', '5'], 3 * 60_000);
    if (r.status !== 0) console.error(`compose down failed: ${r.stderr}`);
  });

  it('builds both images: non-root, with a HEALTHCHECK and SIGTERM, no dev dependencies', { timeout: 10 * 60_000 }, async (t) => {
    await project.run(['build'], 10 * 60_000);
    for (const image of [APP_IMAGE, PROXY_IMAGE]) {
      const inspect = JSON.parse(await runOk(['docker', 'image', 'inspect', image], { timeoutMs: 30_000 }))[0] as {
        Size: number;
        Config: { User?: string; StopSignal?: string; Healthcheck?: { Test?: string[] } };
      };
      assert.match(inspect.Config.User ?? '', /^[1-9]\d*(:\d+)?$/, `${image} runs as a numeric non-root user`);
      assert.equal(inspect.Config.StopSignal, 'SIGTERM', `${image} stops with SIGTERM (graceful drain)`);
      assert.ok(inspect.Config.Healthcheck?.Test?.length, `${image} has a HEALTHCHECK`);
      // The compiler is a dev dependency: it must not be in a runtime image.
      const ts = spawnSync('docker', ['run', '--rm', '--entrypoint', 'node', image, '-e', "import('typescript').then(() => process.exit(1), () => process.exit(0))"], { timeout: 60_000 });
      assert.equal(ts.status, 0, `${image} holds production dependencies only`);
      t.diagnostic(`${image}: ${(inspect.Size / 1024 / 1024).toFixed(0)} MiB (base ${BASE_IMAGE})`);
    }
  });

  it('serves the sample app through the proxy on 127.0.0.1', { timeout: 5 * 60_000 }, async () => {
    // depends_on: service_healthy makes `up` wait for a healthy app before the proxy starts.
    await project.run(['up', '-d', '--scale', 'app=1'], 5 * 60_000);
    proxyUrl = `http://127.0.0.1:${await project.hostPort('proxy', 8080)}`;
    prometheusUrl = `http://127.0.0.1:${await project.hostPort('prometheus', 9090)}`;
    const first = await waitFor('a 200 through the proxy', 90_000, async () => {
      const r = await get(`${proxyUrl}/`);
      return r.status === 200 ? r : undefined;
    });
    assert.match(first.servedBy ?? '', /^[\w.-]+:\d+$/, 'X-Served-By is host:pid');
    // The proxy image's HEALTHCHECK (admin /readyz) passes too.
    const [proxyId] = await project.ids('proxy');
    await waitFor('the proxy container to be healthy', 60_000, async () => {
      const status = (await runOk(['docker', 'inspect', '--format', '{{.State.Health.Status}}', proxyId], { timeoutMs: 30_000 })).trim();
      return status === 'healthy' ? true : undefined;
    });
  });

  it('scales app 1 -> 3 with no edit and spreads requests over 3 hostnames', { timeout: 5 * 60_000 }, async () => {
    await project.run(['up', '-d', '--no-recreate', '--scale', 'app=3'], 5 * 60_000);
    const ids = await project.ids('app');
    assert.equal(ids.length, 3);
    // The proxy follows the replicas by re-resolving the Compose DNS name `app`.
    const seen = await waitFor('3 distinct X-Served-By hosts', 120_000, async () => {
      const hosts = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const r = await get(`${proxyUrl}/`);
        const host = servedHost(r.servedBy);
        if (r.status === 200 && host) hosts.add(host);
      }
      return hosts.size >= 3 ? hosts : undefined;
    });
    // A container's hostname is its short id: the three hosts are the three replicas.
    assert.deepEqual([...seen].sort(), ids.map((id) => id.slice(0, 12)).sort());
  });

  it('stops one app container under a bounded GET load with no failed request', { timeout: 3 * 60_000 }, async (t) => {
    const [victim] = await project.ids('app');
    const load = loadLoop(`${proxyUrl}/`, { concurrency: 4, maxRequests: 20_000, maxMs: 90_000 });
    await waitFor('the load to be running', 30_000, async () => (load.report.ok >= 50 ? true : undefined), 100);
    // SIGTERM, drain within the graceful timeout; SIGKILL only after 25 s.
    await runOk(['docker', 'stop', '-t', '25', victim], { timeoutMs: 60_000 });
    const okAtStop = load.report.ok;
    await waitFor('more load after the stop', 30_000, async () => (load.report.ok >= okAtStop + 200 ? true : undefined), 100);
    const report = await load.stop();
    t.diagnostic(`${report.ok} GETs ok, ${report.failures.length} failed; per host: ${JSON.stringify(Object.fromEntries(report.hosts))}`);
    assert.deepEqual(report.failures, []);
    assert.equal((await project.ids('app')).length, 2);
    const exit = (await runOk(['docker', 'inspect', '--format', '{{.State.ExitCode}}', victim], { timeoutMs: 30_000 })).trim();
    assert.equal(exit, '0', 'the master drained and exited 0 on SIGTERM (137 would mean SIGKILL after the grace period)');
    // The stopped replica has left the proxy's rotation: the next requests spread over the other two.
    const after = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await get(`${proxyUrl}/`);
      assert.equal(r.status, 200);
      after.add(servedHost(r.servedBy) ?? '(none)');
    }
    assert.ok(!after.has(victim.slice(0, 12)), `${victim.slice(0, 12)} no longer serves`);
  });

  it('has Prometheus scraping both tiers, with their request counters', { timeout: 3 * 60_000 }, async () => {
    const up = await waitFor('tsgi-proxy and tsgi-app targets up', 90_000, async () => {
      const u = await targetsUp(prometheusUrl);
      return (u.get('tsgi-proxy') ?? 0) >= 1 && (u.get('tsgi-app') ?? 0) >= 2 ? u : undefined;
    });
    assert.ok((up.get('tsgi-app') ?? 0) >= 2, 'both remaining app replicas are scraped');
    for (const metric of ['tsgi_proxy_requests_total', 'tsgi_http_requests_total']) {
      const total = await waitFor(`${metric} in Prometheus`, 60_000, async () => {
        const r = await query(prometheusUrl, `sum(${metric})`);
        return r.length && Number(r[0].value[1]) > 0 ? Number(r[0].value[1]) : undefined;
      });
      assert.ok(total > 0);
    }
  });

  it('returns data for every Grafana dashboard panel query', { timeout: 4 * 60_000 }, async (t) => {
    // A kill -9 of a replica under load makes the failure-side series exist
    // (upstream failures, ejections, retries), so their panels are checked too.
    const [victim] = await project.ids('app');
    const load = loadLoop(`${proxyUrl}/`, { concurrency: 4, maxRequests: 20_000, maxMs: 60_000 });
    await waitFor('the load to be running', 30_000, async () => (load.report.ok >= 50 ? true : undefined), 100);
    await runOk(['docker', 'kill', victim], { timeoutMs: 60_000 });
    const okAtKill = load.report.ok;
    await waitFor('more load after the kill', 30_000, async () => (load.report.ok >= okAtKill + 200 ? true : undefined), 100);
    const report = await load.stop();
    t.diagnostic(`kill -9 under load: ${report.ok} GETs ok, ${report.failures.length} failed`);

    const queries = dashboardQueries(join(REPO_ROOT, 'deploy/grafana/dashboards/tsgi.json'));
    assert.ok(queries.length >= 10, `${queries.length} panel queries`);
    // Series appear within a scrape or two of the events; poll, then name every panel still empty.
    let missing: string[] = [];
    await waitFor('every panel query to return data', 120_000, async () => {
      missing = [];
      for (const q of queries) {
        const result = await query(prometheusUrl, expandGrafanaVariables(q.expr));
        if (result.length === 0) missing.push(`${q.panel} [${q.refId}]: ${q.expr}`);
      }
      return missing.length === 0 ? true : undefined;
    }, 5_000).catch(() => undefined);
    assert.deepEqual(missing, []);
  });
});
