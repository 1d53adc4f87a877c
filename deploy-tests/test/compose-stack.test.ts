import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type * as Testcontainers from 'testcontainers';
import type { ContainerRuntimeClient, StartedDockerComposeEnvironment, StartedNetwork, StartedTestContainer } from 'testcontainers';
import { composeContainerName, composeExecutable, containerSkipReason, loadTestcontainers, runtimeClient, serviceContainerIds } from '../src/containers.js';
import { get, loadLoop, servedHost, waitFor } from '../src/load.js';
import { dashboardQueries, expandGrafanaVariables, query, targetsUp } from '../src/prometheus.js';
import { REPO_ROOT } from '../src/repo.js';

// The images and the Compose stack against a real Docker engine, through
// testcontainers: both images built from docker/Dockerfile, the two tiers on a
// network of their own (the proxy finds the app by its network alias), then
// the Compose stack: the proxy in front of a scaled app service, Prometheus
// scraping both. No image can be pulled here, so everything builds FROM
// BASE_IMAGE (default tsgi/node-base:local, made by ../shared/containers/docker-up.sh)
// and Prometheus runs from Debian's package (docker/prometheus/build-local.sh).

const BASE_IMAGE = process.env.BASE_IMAGE ?? 'tsgi/node-base:local';
const PROMETHEUS_IMAGE = process.env.PROMETHEUS_IMAGE ?? 'tsgi/prometheus:local';
const APP_IMAGE = 'tsgi/app:test';
const PROXY_IMAGE = 'tsgi/proxy:test';
// npm inside the build needs this network's CA when TLS is intercepted; the local base image
// carries the host's bundle at this path.
const NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS ?? (BASE_IMAGE === 'tsgi/node-base:local' ? '/etc/ssl/certs/ca-certificates.crt' : '');

const skip = await containerSkipReason(BASE_IMAGE, process.env.BASE_IMAGE !== undefined);
// Imported only where it runs (testcontainers 12 throws on import below Node 22.22; the suite then skips and says why).
const { DockerComposeEnvironment, GenericContainer, ImageName, Network, Wait } = skip ? ({} as typeof Testcontainers) : await loadTestcontainers();

describe('images and Compose stack (real Docker engine, testcontainers)', { skip, timeout: 20 * 60_000 }, () => {
  const project = `tsgi-deploy-test-${process.pid}`;
  let client: ContainerRuntimeClient;
  let stack: StartedDockerComposeEnvironment | undefined;
  let proxyUrl = '';
  let prometheusUrl = '';
  const started: StartedTestContainer[] = [];
  let network: StartedNetwork | undefined;

  /** `up -d --scale app=N` of this test's project; the second call keeps the running containers. */
  const composeUp = async (apps: number, keepRunning: boolean): Promise<StartedDockerComposeEnvironment> => {
    const environment = new DockerComposeEnvironment(REPO_ROOT, 'docker-compose.yml');
    // withNoRecreate() also renames the project, so it comes before withProjectName().
    if (keepRunning) environment.withNoRecreate();
    return environment
      .withProjectName(project)
      .withClientOptions({ executable: (await composeExecutable()) ?? undefined, commandOptions: ['--scale', `app=${apps}`] })
      .withEnvironment({
        BASE_IMAGE,
        PROMETHEUS_IMAGE,
        APP_IMAGE,
        PROXY_IMAGE,
        NODE_EXTRA_CA_CERTS,
        // Published on loopback, on ports the engine picks: no clash with a running stack.
        PROXY_HOST: '127.0.0.1',
        PROXY_PORT: '0',
        PROXY_ADMIN_PORT: '0',
        PROMETHEUS_PORT: '0',
        PUBLISH_HOST: '127.0.0.1',
      })
      // Every service has a HEALTHCHECK (the images' own, Prometheus' in the Compose file).
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(180_000)
      .up();
  };

  before(async () => {
    client = (await runtimeClient())!;
    if (process.env.PROMETHEUS_IMAGE === undefined) {
      await promisify(execFile)('bash', [join(REPO_ROOT, 'docker/prometheus/build-local.sh'), PROMETHEUS_IMAGE], { timeout: 5 * 60_000 });
    }
  });

  after(async () => {
    for (const c of started) await c.stop({ timeout: 5_000 }).catch(() => undefined);
    await network?.stop().catch(() => undefined);
    await stack?.down({ removeVolumes: true, timeout: 5_000 }).catch((err: Error) => console.error(`compose down failed: ${err.message}`));
  });

  it('builds both images: non-root, with a HEALTHCHECK and SIGTERM, no dev dependencies', { timeout: 12 * 60_000 }, async (t) => {
    for (const [target, image] of [['app', APP_IMAGE], ['proxy', PROXY_IMAGE]]) {
      await GenericContainer.fromDockerfile(REPO_ROOT, 'docker/Dockerfile')
        .withTarget(target)
        .withBuildArgs({ BASE_IMAGE, NODE_EXTRA_CA_CERTS })
        .withCache(true)
        .build(image, { deleteOnExit: false });
      const inspect = await client.image.inspect(ImageName.fromString(image));
      assert.match(inspect.Config.User ?? '', /^[1-9]\d*(:\d+)?$/, `${image} runs as a numeric non-root user`);
      assert.equal((inspect.Config as { StopSignal?: string }).StopSignal, 'SIGTERM', `${image} stops with SIGTERM (graceful drain)`);
      assert.ok((inspect.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck?.Test?.length, `${image} has a HEALTHCHECK`);
      // The compiler is a dev dependency: it must not be in a runtime image.
      const probe = await new GenericContainer(image)
        .withEntrypoint(['node'])
        .withCommand(['-e', "import('typescript').then(() => process.exit(1), () => process.exit(0))"])
        .withWaitStrategy(Wait.forOneShotStartup())
        .start()
        .catch((err: Error) => assert.fail(`${image} holds production dependencies only (typescript is importable): ${err.message}`));
      await probe.stop();
      t.diagnostic(`${image}: ${(inspect.Size / 1024 / 1024).toFixed(0)} MiB (base ${BASE_IMAGE})`);
    }
  });

  it('runs the proxy in front of the app on a network of their own, finding it by its network alias', { timeout: 5 * 60_000 }, async () => {
    network = await new Network().start();
    const app = await new GenericContainer(APP_IMAGE)
      .withNetwork(network)
      .withNetworkAliases('app')
      .withEnvironment({ TSGI_WORKERS: '1', TSGI_FORWARDED_ALLOW_IPS: '*' })
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(120_000)
      .start();
    started.push(app);
    // docker/proxy/proxy.yaml (in the image) points at app:8000, the Compose service name.
    const proxy = await new GenericContainer(PROXY_IMAGE)
      .withNetwork(network)
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(120_000)
      .start();
    started.push(proxy);
    const url = `http://${proxy.getHost()}:${proxy.getMappedPort(8080)}/`;
    const r = await waitFor('a 200 through the proxy', 60_000, async () => {
      const res = await get(url);
      return res.status === 200 ? res : undefined;
    });
    // A container's hostname is its short id: the answer came from the aliased app container.
    assert.equal(servedHost(r.servedBy), app.getId().slice(0, 12));
    // SIGTERM drains: the master exits 0 well inside the grace period (137 would mean SIGKILL).
    const stopped = await app.stop({ timeout: 25_000, remove: false });
    const state = await client.container.inspect(client.container.getById(stopped.getId()));
    assert.equal(state.State.ExitCode, 0);
    await client.container.remove(client.container.getById(stopped.getId())).catch(() => undefined);
    started.splice(started.indexOf(app), 1);
    await proxy.stop({ timeout: 5_000 });
    started.splice(started.indexOf(proxy), 1);
    await network.stop();
    network = undefined;
  });

  it('serves the sample app through the proxy on 127.0.0.1 (Compose, healthy before the proxy starts)', { timeout: 5 * 60_000 }, async () => {
    // depends_on: service_healthy makes `up` wait for a healthy app before the proxy starts.
    stack = await composeUp(1, false);
    const exec = await composeExecutable();
    const proxy = stack.getContainer(composeContainerName(exec, project, 'proxy'));
    const prometheus = stack.getContainer(composeContainerName(exec, project, 'prometheus'));
    proxyUrl = `http://127.0.0.1:${proxy.getMappedPort(8080)}`;
    prometheusUrl = `http://127.0.0.1:${prometheus.getMappedPort(9090)}`;
    const first = await waitFor('a 200 through the proxy', 90_000, async () => {
      const r = await get(`${proxyUrl}/`);
      return r.status === 200 ? r : undefined;
    });
    assert.match(first.servedBy ?? '', /^[\w.-]+:\d+$/, 'X-Served-By is host:pid');
  });

  it('scales app 1 -> 3 with no edit and spreads requests over 3 hostnames', { timeout: 5 * 60_000 }, async () => {
    stack = await composeUp(3, true);
    const ids = await serviceContainerIds(client, project, 'app');
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
    assert.deepEqual([...seen].sort(), ids.map((id) => id.slice(0, 12)).sort());
  });

  it('stops one app container under a bounded GET load with no failed request', { timeout: 3 * 60_000 }, async (t) => {
    const [victim] = await serviceContainerIds(client, project, 'app');
    const load = loadLoop(`${proxyUrl}/`, { concurrency: 4, maxRequests: 20_000, maxMs: 90_000 });
    await waitFor('the load to be running', 30_000, async () => (load.report.ok >= 50 ? true : undefined), 100);
    // SIGTERM, drain within the graceful timeout; SIGKILL only after 25 s.
    await client.container.stop(client.container.getById(victim), { timeout: 25_000 });
    const okAtStop = load.report.ok;
    await waitFor('more load after the stop', 30_000, async () => (load.report.ok >= okAtStop + 200 ? true : undefined), 100);
    const report = await load.stop();
    t.diagnostic(`${report.ok} GETs ok, ${report.failures.length} failed; per host: ${JSON.stringify(Object.fromEntries(report.hosts))}`);
    assert.deepEqual(report.failures, []);
    assert.equal((await serviceContainerIds(client, project, 'app')).length, 2);
    const state = await client.container.inspect(client.container.getById(victim));
    assert.equal(state.State.ExitCode, 0, 'the master drained and exited 0 on SIGTERM (137 would mean SIGKILL after the grace period)');
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
    const [victim] = await serviceContainerIds(client, project, 'app');
    const load = loadLoop(`${proxyUrl}/`, { concurrency: 4, maxRequests: 20_000, maxMs: 60_000 });
    await waitFor('the load to be running', 30_000, async () => (load.report.ok >= 50 ? true : undefined), 100);
    await client.container.getById(victim).kill({ signal: 'SIGKILL' });
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
