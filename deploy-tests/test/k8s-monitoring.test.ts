import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { describeKustomizations } from '../src/k8s-checks.js';
import { findRenderer, render, selects, type KubeObject } from '../src/kube.js';
import { REPO_ROOT } from '../src/repo.js';

// k8s/components/monitoring, opted in from each overlay the way a user does
// (`components: [../../components/monitoring]`): a kustomization of our own in a
// temporary folder, so the shipped overlays stay as they are. Every object must
// match its schema (the Operator's kinds: their CRD schemas, from
// @kubernetes-models/prometheus-operator), the base checks must still hold, and
// the component's promises are checked below.
const parent = mkdtempSync(join(tmpdir(), 'tsgi-k8s-monitoring-'));
after(() => rmSync(parent, { recursive: true, force: true }));
const OVERLAYS = ['dev', 'production'] as const;
for (const overlay of OVERLAYS) {
  const dir = join(parent, overlay);
  mkdirSync(dir);
  const up = relative(dir, REPO_ROOT);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    stringify({ resources: [`${up}/k8s/overlays/${overlay}`], components: [`${up}/k8s/components/monitoring`] }),
  );
}
describeKustomizations('an overlay with the monitoring component (kustomize render)', parent, OVERLAYS);

interface Port {
  name?: string;
  port: number;
  targetPort?: string | number;
}
interface PodTemplate {
  metadata: { labels?: Record<string, string> };
  spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] };
}
interface PolicyRule {
  from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } }[];
  ports?: { port: string | number }[];
}
const spec = <T>(o: KubeObject): T => o.spec as T;
const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

const renderer = findRenderer();
describe('the monitoring component', { skip: 'skip' in renderer ? renderer.skip : false }, () => {
  let rendered: KubeObject[] | undefined;
  const objs = (): KubeObject[] => (rendered ??= render(renderer as { argv: [string, ...string[]] }, join(parent, 'production')));
  const pods = (name: string): PodTemplate => {
    const d = objs().find((o) => o.kind === 'Deployment' && o.metadata.name === name);
    assert.ok(d, `Deployment ${name}`);
    return spec<{ template: PodTemplate }>(d).template;
  };

  it("scrapes both tiers through ServiceMonitors, with Compose's job names", () => {
    const compose = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string }[] };
    const composeJobs = compose.scrape_configs.map((j) => j.job_name);
    const jobs: string[] = [];
    for (const [monitor, deployment, probedPort] of [['tsgi-app', 'tsgi-app', 'metrics'], ['tsgi-proxy', 'tsgi-proxy', 'admin']] as const) {
      const sm = objs().find((o) => o.kind === 'ServiceMonitor' && o.metadata.name === monitor);
      assert.ok(sm, `ServiceMonitor ${monitor}`);
      const s = spec<{ jobLabel?: string; selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] }>(sm);
      const services = objs().filter((o) => o.kind === 'Service' && selects(s.selector.matchLabels, o.metadata.labels));
      assert.equal(services.length, 1, `${monitor} selects one Service`);
      const svc = services[0]!; // one: asserted above
      const port = spec<{ ports: Port[] }>(svc).ports.find((p) => p.name === s.endpoints[0]?.port);
      assert.ok(port, `${svc.metadata.name} has the port ${s.endpoints[0]?.port} the monitor scrapes`);
      const template = pods(deployment);
      assert.ok(selects(spec<{ selector: Record<string, string> }>(svc).selector, template.metadata.labels), `${svc.metadata.name} selects the ${deployment} pods`);
      const container = template.spec.containers[0]!; // a Deployment has one at least
      assert.equal(port.targetPort, probedPort, `${svc.metadata.name} targets the ${probedPort} port`);
      assert.ok(container.ports?.some((p) => p.name === probedPort), `${deployment} declares ${probedPort}`);
      jobs.push(svc.metadata.labels?.[s.jobLabel ?? ''] ?? svc.metadata.name);
    }
    for (const job of jobs) assert.ok(composeJobs.includes(job), `job ${job} is one of Compose's (${composeJobs.join(', ')}): one dashboard for both`);
    const lb = objs().find((o) => o.kind === 'Service' && o.metadata.name === 'tsgi-proxy');
    assert.ok(lb);
    assert.deepEqual(spec<{ ports: Port[] }>(lb).ports.map((p) => p.targetPort), ['http'], 'the public Service never exposes the admin port');
  });

  it('admits only proxy pods to the app port, and only the monitoring namespace to both metrics ports', () => {
    const policies = objs().filter((o) => o.kind === 'NetworkPolicy');
    const rulesFor = (deployment: string, port: string): PolicyRule[] =>
      policies
        .filter((p) => selects(spec<{ podSelector: { matchLabels: Record<string, string> } }>(p).podSelector.matchLabels, pods(deployment).metadata.labels))
        .flatMap((p) => spec<{ ingress?: PolicyRule[] }>(p).ingress ?? [])
        .filter((r) => r.ports?.some((x) => x.port === port));
    const app = rulesFor('tsgi-app', 'http');
    assert.ok(app.length > 0, 'a policy names the app port');
    for (const rule of app) {
      assert.ok(rule.from?.length, 'the app port is never open to every peer');
      for (const peer of rule.from) {
        assert.equal(peer.namespaceSelector, undefined, 'no other namespace');
        assert.ok(selects(peer.podSelector?.matchLabels, pods('tsgi-proxy').metadata.labels), 'only the proxy pods');
      }
    }
    for (const [deployment, port] of [['tsgi-app', 'metrics'], ['tsgi-proxy', 'admin']] as const) {
      const rules = rulesFor(deployment, port);
      assert.ok(rules.length > 0, `a policy names ${deployment}'s ${port} port`);
      for (const rule of rules) {
        assert.ok(rule.from?.length, `${deployment}:${port} is never open to every peer`);
        for (const peer of rule.from) {
          assert.equal(peer.podSelector, undefined, `${deployment}:${port}: a whole namespace`);
          assert.deepEqual(peer.namespaceSelector?.matchLabels, { 'kubernetes.io/metadata.name': 'monitoring' });
        }
      }
    }
  });

  describe('PrometheusRule tsgi', { skip: PROMTOOL ? false : 'promtool is not installed' }, () => {
    const rulesDir = (): string => {
      const rule = objs().find((o) => o.kind === 'PrometheusRule');
      assert.ok(rule, 'a PrometheusRule');
      const dir = mkdtempSync(join(parent, 'rules-'));
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: spec<{ groups: unknown[] }>(rule).groups }));
      copyFileSync(join(REPO_ROOT, 'deploy-tests/test/fixtures/prometheus-rules.test.yaml'), join(dir, 'rules.test.yaml'));
      return dir;
    };

    it('passes promtool check rules, with every alert the issue asks for', () => {
      const dir = rulesDir();
      const r = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      const text = readFileSync(join(dir, 'rules.yaml'), 'utf8');
      for (const metric of ['tsgi_proxy_requests_total', 'tsgi_http_requests_total', 'tsgi_proxy_request_duration_seconds_bucket', 'tsgi_http_request_duration_seconds_bucket', 'tsgi_proxy_ejections_total']) {
        assert.ok(text.includes(metric), `an alert on ${metric}`);
      }
      for (const reason of ['timeout', 'crash', 'memory']) assert.ok(text.includes(`tsgi_worker_restarts_total{reason="${reason}"}`), `an alert on restarts for ${reason}`);
    });

    it('fires each alert on series over its bound and stays quiet under it (promtool test rules)', () => {
      const dir = rulesDir();
      const r = spawnSync('promtool', ['test', 'rules', join(dir, 'rules.test.yaml')], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });
  });
});
