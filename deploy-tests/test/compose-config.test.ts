import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import * as composeCli from 'docker-compose';
import { composeExecutable } from '../src/containers.js';
import { dashboardQueries } from '../src/prometheus.js';
import { checkProxyConfig, REPO_ROOT, type ProxyYaml } from '../src/repo.js';

// The Compose stack's files agree with each other and with the images, without
// an engine: these are the mistakes that otherwise show up only as a dead stack.

const read = (rel: string): string => readFileSync(join(REPO_ROOT, rel), 'utf8');
/** The parts of a Compose service these checks read. */
interface ComposeService {
  container_name?: string;
  image?: string;
  build?: { target?: string; args?: Record<string, string> };
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  volumes?: string[];
}
const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
const proxyYaml = read('docker/proxy/proxy.yaml');
const proxy = parseYaml(proxyYaml) as ProxyYaml;
const prometheus = parseYaml(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[] };

/** The ENV values of one Dockerfile stage (`FROM ... AS <stage>` up to the next FROM). */
function stageEnv(stage: string): Record<string, string> {
  const text = read('docker/Dockerfile').replace(/\\\n/g, ' ');
  const start = text.search(new RegExp(`^FROM \\S+ AS ${stage}$`, 'm'));
  assert.ok(start >= 0, `docker/Dockerfile has a stage ${stage}`);
  const rest = text.slice(start + 5);
  const body = rest.slice(0, rest.search(/^FROM /m) >= 0 ? rest.search(/^FROM /m) : undefined);
  const env: Record<string, string> = {};
  for (const line of body.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
  }
  return env;
}

const executable = await composeExecutable();

const portOf = (address: string): number => Number(/:(\d+)\/?/.exec(address.replace(/^https?:\/\//, ''))?.[1]);

describe('Compose stack files', () => {
  it('lets `--scale app=N` work with no edit: no container_name or published port on app', () => {
    const app = compose.services.app;
    assert.equal(app.container_name, undefined);
    assert.equal(app.ports, undefined);
    assert.equal(app.build?.target, 'app');
    assert.equal(compose.services.proxy.build?.target, 'proxy');
  });

  it('starts the proxy only once the app is healthy, and takes BASE_IMAGE as a build arg', () => {
    assert.equal(compose.services.proxy.depends_on?.app?.condition, 'service_healthy');
    for (const name of ['app', 'proxy']) {
      assert.match(String(compose.services[name].build?.args?.BASE_IMAGE), /^\$\{BASE_IMAGE:-[^}]+\}$/, `${name}: BASE_IMAGE overridable`);
    }
    assert.match(String(compose.services.prometheus.image), /^\$\{PROMETHEUS_IMAGE:-[^}]+\}$/);
  });

  it("points the proxy at the app service's port, and the images' healthchecks at the right ports", () => {
    const appEnv = stageEnv('app');
    const proxyEnv = stageEnv('proxy');
    const servers = Object.values(proxy.upstreams).flatMap((u) => u.servers);
    assert.ok(servers.length > 0);
    for (const s of servers) {
      const address = typeof s === 'string' ? s : s.address;
      const [host, port] = address.split(':');
      assert.ok(compose.services[host], `${address}: ${host} is a Compose service (its DNS name)`);
      assert.equal(Number(port), portOf(appEnv.TSGI_BIND), `${address}: the app's TSGI_BIND port`);
      assert.ok((compose.services[host].expose as string[]).includes(port), `${host} exposes ${port}`);
    }
    assert.equal(portOf(proxy.listeners[0].address), 8080, 'the proxy listens where compose publishes (8080)');
    assert.ok((compose.services.proxy.ports as string[]).some((p) => p.endsWith(':8080')));
    assert.equal(portOf(appEnv.HEALTH_URL), portOf(appEnv.TSGI_METRICS_BIND), 'app HEALTHCHECK hits the metrics port');
    assert.match(appEnv.HEALTH_URL, /\/readyz$/);
    assert.equal(portOf(proxyEnv.HEALTH_URL), portOf(proxy.admin.address), 'proxy HEALTHCHECK hits the admin port');
  });

  it('has Prometheus discover both tiers by their service names and metrics ports', () => {
    const job = (name: string) => prometheus.scrape_configs.find((j) => j.job_name === name)?.dns_sd_configs?.[0];
    const app = job('tsgi-app');
    const edge = job('tsgi-proxy');
    assert.ok(app && edge, 'jobs tsgi-app and tsgi-proxy use DNS discovery');
    assert.deepEqual(app.names, ['app']);
    assert.equal(app.port, portOf(stageEnv('app').TSGI_METRICS_BIND));
    assert.deepEqual(edge.names, ['proxy']);
    assert.equal(edge.port, portOf(proxy.admin.address));
  });

  it('ships a proxy config that tsgi-proxy --check-config accepts', () => {
    const r = checkProxyConfig(proxyYaml);
    assert.equal(r.status, 0, r.output);
  });

  it('provisions the Grafana dashboard with a datasource it names, every panel with a query', () => {
    const ds = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
    const dash = JSON.parse(read('deploy/grafana/dashboards/tsgi.json')) as { templating: { list: { current?: { value?: string } }[] }; panels: { type: string; targets?: unknown[] }[] };
    assert.equal(dash.templating.list[0].current?.value, ds.datasources[0].uid);
    assert.equal(new URL(ds.datasources[0].url).hostname, 'prometheus');
    for (const p of dash.panels.filter((x) => x.type !== 'row')) assert.ok(p.targets?.length, 'every panel queries something');
    const titles = dashboardQueries(join(REPO_ROOT, 'deploy/grafana/dashboards/tsgi.json')).map((q) => q.panel);
    for (const want of ['request rate', 'error rate', 'latency', 'Workers', 'restarts', 'Healthy upstream', 'Ejections']) {
      assert.ok(titles.some((t) => t.toLowerCase().includes(want.toLowerCase())), `a panel on ${want}`);
    }
    for (const v of compose.services.grafana.volumes as string[]) assert.ok(existsSync(join(REPO_ROOT, v.split(':')[0])), `${v} exists`);
  });

  it('gives the nginx profile every variable nginx/nginx.conf.template uses', () => {
    const used = new Set([...read('nginx/nginx.conf.template').matchAll(/\$\{(NGINX_[A-Z_]+)\}/g)].map((m) => m[1]));
    assert.ok(used.size > 0);
    const env = compose.services.nginx.environment as Record<string, string>;
    for (const name of used) assert.ok(env[name] !== undefined, `${name} is set for the nginx service`);
    assert.ok((compose.services.nginx.volumes as string[]).some((v) => v.startsWith('./nginx/nginx.conf.template:/etc/nginx/templates/')));
    assert.match(env.NGINX_UPSTREAM_SERVERS, /server app:8000 resolve/, 'nginx follows the app replicas through DNS');
  });

  it('builds every Node image on Node 24 LTS by default (Dockerfile ARG and the Compose build arg agree)', () => {
    const arg = /^ARG BASE_IMAGE=(\S+)$/m.exec(read('docker/Dockerfile'))?.[1];
    assert.match(arg ?? '', /^node:24-/, `docker/Dockerfile BASE_IMAGE default: ${arg}`);
    for (const name of ['app', 'proxy']) {
      assert.equal(String(compose.services[name].build?.args?.BASE_IMAGE), `\${BASE_IMAGE:-${arg}}`, `${name} builds on ${arg}`);
    }
  });

  it('passes `compose config` (file format accepted by the installed Compose)', { skip: executable === null ? 'no Compose CLI installed' : false }, async () => {
    for (const profiles of [[], ['--profile', 'nginx', '--profile', 'grafana']]) {
      const r = await composeCli.config({ cwd: REPO_ROOT, config: 'docker-compose.yml', composeOptions: profiles, executable: executable ?? undefined });
      assert.equal(r.exitCode, 0, r.err);
      const services = Object.keys((r.data.config as { services?: object }).services ?? {});
      assert.ok(services.includes('app') && services.includes('proxy'), `services: ${services.join(', ')}`);
    }
  });
});
