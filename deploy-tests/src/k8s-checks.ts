import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { findRenderer, render, selects, type KubeObject } from './kube.js';
import { schemaProblems } from './k8s-schema.js';
import { checkProxyConfig, type ProxyYaml } from './repo.js';

// The checks every Kustomize layout of ours must pass: this repository's k8s/
// (test/k8s-manifests.test.ts) and the k8s/ create-tsgi writes into a user's project
// (test/scaffold-k8s.test.ts). Each target must render, match the Kubernetes schemas
// and keep the promises below.
// What each program serves on its metrics/admin port: the appserver has /readyz
// (false while draining) beside /healthz; so does the proxy's admin port. Startup
// must wait for a worker: the appserver's /healthz answers 503 until one has booted,
// the proxy's /healthz answers 200 "starting" at once, so the proxy starts on /readyz.
const PROBE_PATHS: Record<string, { startup: string; readiness: string; liveness: string }> = {
  app: { startup: '/healthz', readiness: '/readyz', liveness: '/healthz' },
  proxy: { startup: '/readyz', readiness: '/readyz', liveness: '/healthz' },
};

interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  envFrom?: { configMapRef?: { name: string } }[];
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds: number } } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  /** Kubernetes requires at least one. */
  containers: [Container, ...Container[]];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; configMap?: { name: string } }[];
}
interface DeploymentSpec {
  selector: { matchLabels?: Record<string, string> };
  template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

const spec = <T>(o: KubeObject): T => o.spec as T;
const ofKind = (objs: KubeObject[], kind: string): KubeObject[] => objs.filter((o) => o.kind === kind);

function portOf(c: Container, ref: string | number | undefined): number | undefined {
  if (typeof ref === 'number') return ref;
  return c.ports?.find((p) => p.name === ref)?.containerPort;
}

/** `0.0.0.0:8000` → 8000. */
function bindPort(bind: string | undefined): number | undefined {
  const m = /:(\d+)$/.exec(bind ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Seconds a preStop hook waits (exec sleep N, or the native sleep action). */
function preStopSeconds(c: Container): number {
  const hook = c.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds;
  const cmd = hook?.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) : 0;
}

/** The proxy's config duration syntax: ms number, or `20s`, `500ms`, `2m`. */
function durationSeconds(v: unknown): number {
  if (typeof v === 'number') return v / 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(String(v));
  assert.ok(m, `duration ${String(v)} parses`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function cpuMillis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

function memBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  assert.ok(m, `memory quantity ${q} parses`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }[(m[2] ?? '') as 'Ki'] ?? 1;
  return Number(m[1]) * unit;
}

function byName(objs: KubeObject[], kind: string, name: string): KubeObject {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name} is in the render`);
  return found;
}

/** The Deployment whose first container has this name (`app`, `proxy`). */
function tier(objs: KubeObject[], container: string): KubeObject {
  const found = ofKind(objs, 'Deployment').find((d) => spec<DeploymentSpec>(d).template.spec.containers[0]?.name === container);
  assert.ok(found, `a Deployment runs the ${container} container`);
  return found;
}

/** The proxy config mounted into the proxy pods, parsed. */
function proxyConfig(objs: KubeObject[]): { text: string; config: ProxyYaml } {
  const pod = spec<DeploymentSpec>(tier(objs, 'proxy')).template.spec;
  const volume = pod.volumes?.find((v) => v.configMap);
  assert.ok(volume?.configMap, 'the proxy mounts its config from a ConfigMap');
  const cm = byName(objs, 'ConfigMap', volume.configMap.name);
  const text = (cm.data as Record<string, string> | undefined)?.['proxy.yaml'];
  assert.ok(text, `ConfigMap ${cm.metadata.name} holds proxy.yaml`);
  return { text, config: parseYaml(text) as ProxyYaml };
}

/** Registers the checks for each kustomization folder under `root` (skipped, saying why, without kubectl or kustomize). */
export function describeKustomizations(title: string, root: string, targets: readonly string[]): void {
  const renderer = findRenderer();
  describe(title, { skip: 'skip' in renderer ? renderer.skip : false }, () => {
    for (const target of targets) {
      describe(target, () => {
        let rendered: KubeObject[] | undefined;
        const objs = (): KubeObject[] => (rendered ??= render(renderer as { argv: [string, ...string[]] }, join(root, target)));

        it('renders and every object matches the Kubernetes schema of its kind', () => {
          const all = objs();
          assert.ok(all.length >= 10, `rendered ${all.length} objects`);
          assert.deepEqual(all.flatMap(schemaProblems), []);
        });

        it('puts every object in the one Namespace it creates', () => {
          const all = objs();
          const ns = ofKind(all, 'Namespace');
          assert.equal(ns.length, 1);
          const namespace = ns[0]!.metadata.name; // one: asserted above
          for (const o of all.filter((x) => x.kind !== 'Namespace')) {
            assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name} namespace`);
          }
        });

        it('gives every container probes on its metrics port, requests and limits, and a non-root, locked-down context', () => {
          for (const d of ofKind(objs(), 'Deployment')) {
            const s = spec<DeploymentSpec>(d);
            const name = d.metadata.name;
            assert.ok(selects(s.selector.matchLabels, s.template.metadata.labels), `${name}: selector matches its pod labels`);
            for (const c of s.template.spec.containers) {
              const where = `${name}/${c.name}`;
              for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
                const port = portOf(c, c[probe]?.httpGet?.port);
                assert.ok(port, `${where}: ${probe} is an HTTP GET on a declared container port`);
                assert.notEqual(port, portOf(c, 'http'), `${where}: ${probe} is not on the serving port`);
              }
              const paths = PROBE_PATHS[c.name];
              assert.ok(paths, `${where}: a known program (${Object.keys(PROBE_PATHS).join(', ')})`);
              assert.equal(c.startupProbe?.httpGet?.path, paths.startup, `${where}: startup on the path that waits for a booted worker`);
              assert.equal(c.readinessProbe?.httpGet?.path, paths.readiness, `${where}: readiness on the path that fails while draining`);
              assert.equal(c.livenessProbe?.httpGet?.path, paths.liveness, `${where}: liveness path`);
              const annotations = s.template.metadata.annotations ?? {};
              assert.equal(annotations['prometheus.io/scrape'], 'true', `${where}: scrape annotation`);
              assert.equal(Number(annotations['prometheus.io/port']), portOf(c, c.readinessProbe?.httpGet?.port), `${where}: Prometheus scrapes the metrics port`);
              const { requests = {}, limits = {} } = c.resources ?? {};
              for (const r of ['cpu', 'memory']) {
                assert.ok(requests[r] && limits[r], `${where}: ${r} request and limit`);
              }
              assert.ok(cpuMillis(requests.cpu ?? '') <= cpuMillis(limits.cpu ?? ''), `${where}: cpu request <= limit`);
              assert.ok(memBytes(requests.memory ?? '') <= memBytes(limits.memory ?? ''), `${where}: memory request <= limit`);
              const pod = s.template.spec.securityContext ?? {};
              const runAsNonRoot = c.securityContext?.runAsNonRoot ?? pod.runAsNonRoot;
              const uid = c.securityContext?.runAsUser ?? pod.runAsUser;
              assert.equal(runAsNonRoot, true, `${where}: runAsNonRoot`);
              assert.ok(uid !== undefined && uid !== 0, `${where}: a non-zero runAsUser`);
              assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
              assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${where}: drops all capabilities`);
              if (c.securityContext?.readOnlyRootFilesystem) {
                assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/tmp'), `${where}: a writable /tmp beside a read-only root`);
              }
            }
          }
        });

        it('lets each tier drain: grace period >= preStop sleep + the program drain timeout', () => {
          const all = objs();
          const app = tier(all, 'app');
          const appPod = spec<DeploymentSpec>(app).template.spec;
          const env = byName(all, 'ConfigMap', appPod.containers[0].envFrom?.[0]?.configMapRef?.name ?? '(none)').data as Record<string, string>;
          const appDrain = Number(env.TSGI_GRACEFUL_TIMEOUT);
          assert.ok(appDrain > 0, 'TSGI_GRACEFUL_TIMEOUT is set for the app tier');
          const proxyPod = spec<DeploymentSpec>(tier(all, 'proxy')).template.spec;
          const proxyDrain = durationSeconds(proxyConfig(all).config.timeouts?.drain ?? 30_000);
          for (const [pod, drain, what] of [[appPod, appDrain, 'app'], [proxyPod, proxyDrain, 'proxy']] as const) {
            const sleep = preStopSeconds(pod.containers[0]);
            assert.ok(sleep > 0, `${what}: a preStop sleep lets endpoints drop the pod before SIGTERM`);
            assert.ok((pod.terminationGracePeriodSeconds ?? 30) >= sleep + drain, `${what}: grace ${pod.terminationGracePeriodSeconds}s >= ${sleep}s + ${drain}s`);
          }
        });

        it('binds the app where its container ports, Service and probes say', () => {
          const all = objs();
          const app = tier(all, 'app');
          const c = spec<DeploymentSpec>(app).template.spec.containers[0];
          const env = byName(all, 'ConfigMap', c.envFrom?.[0]?.configMapRef?.name ?? '(none)').data as Record<string, string>;
          assert.equal(bindPort(env.TSGI_BIND), portOf(c, 'http'), 'TSGI_BIND port is the http container port');
          assert.equal(bindPort(env.TSGI_METRICS_BIND), portOf(c, c.readinessProbe?.httpGet?.port), 'TSGI_METRICS_BIND port is the probed port');
        });

        it("points the proxy's DNS discovery at the app tier's headless Service", () => {
          const all = objs();
          const { config } = proxyConfig(all);
          const app = tier(all, 'app');
          const appPod = spec<DeploymentSpec>(app).template;
          const upstreams = Object.values(config.upstreams ?? {});
          assert.ok(upstreams.length > 0, 'the proxy has upstreams');
          for (const u of upstreams) {
            for (const server of u.servers) {
              const address = typeof server === 'string' ? server : server.address;
              const [host = '', port] = address.split(':');
              const [svcName = '', ns, svcWord, ...zone] = host.split('.');
              const svc = byName(all, 'Service', svcName);
              if (ns !== undefined) assert.equal(ns, svc.metadata.namespace, `${address}: namespace part is the Service's namespace`);
              if (svcWord !== undefined) assert.equal(svcWord, 'svc', `${address}: a cluster DNS name`);
              // The pod's search list adds the cluster's own domain; a written one is wrong on any other cluster.
              assert.deepEqual(zone, [], `${address}: no cluster domain written in the name`);
              assert.equal(u.resolve?.servers, undefined, `${address}: resolved through the system resolver, which applies the search list`);
              const s = spec<{ clusterIP?: string; selector?: Record<string, string>; ports: { port: number; targetPort?: string | number }[] }>(svc);
              assert.equal(s.clusterIP, 'None', `${svcName} is headless, so DNS lists every ready pod`);
              assert.ok(selects(s.selector, appPod.metadata.labels), `${svcName} selects the app pods`);
              const svcPort = s.ports.find((p) => p.port === Number(port));
              assert.ok(svcPort, `${svcName} has port ${port}`);
              assert.equal(portOf(appPod.spec.containers[0], svcPort.targetPort ?? svcPort.port), portOf(appPod.spec.containers[0], 'http'), `${address} reaches the app's http port`);
            }
          }
        });

        it('exposes the proxy through a Service on its listener port', () => {
          const all = objs();
          const proxy = tier(all, 'proxy');
          const pod = spec<DeploymentSpec>(proxy).template;
          const c = pod.spec.containers[0];
          const { config } = proxyConfig(all);
          assert.equal(bindPort(config.listeners?.[0]?.address), portOf(c, 'http'), 'listener port is the http container port');
          assert.equal(bindPort(config.admin?.address), portOf(c, c.readinessProbe?.httpGet?.port), 'admin port is the probed port');
          const services = ofKind(all, 'Service').filter((s) => selects(spec<{ selector?: Record<string, string> }>(s).selector, pod.metadata.labels));
          const targets = services.flatMap((s) => spec<{ ports: { targetPort?: string | number }[] }>(s).ports.map((p) => portOf(c, p.targetPort)));
          assert.ok(targets.includes(portOf(c, 'http')), `a Service selecting the proxy pods reaches the listener (targets: ${targets.join(', ')})`);
        });

        it('scales each tier on its own (one HPA per Deployment) and guards it with a PodDisruptionBudget', () => {
          const all = objs();
          const deployments = ofKind(all, 'Deployment');
          assert.equal(deployments.length, 2);
          for (const d of deployments) {
            const hpas = ofKind(all, 'HorizontalPodAutoscaler').filter((h) => {
              const ref = spec<{ scaleTargetRef: { kind: string; name: string } }>(h).scaleTargetRef;
              return ref.kind === 'Deployment' && ref.name === d.metadata.name;
            });
            assert.equal(hpas.length, 1, `${d.metadata.name}: exactly one HPA`);
            const h = spec<{ minReplicas?: number; maxReplicas: number }>(hpas[0]!); // one: asserted above
            assert.ok((h.minReplicas ?? 1) >= 1 && (h.minReplicas ?? 1) <= h.maxReplicas, `${d.metadata.name}: 1 <= min <= max`);
            assert.equal((d.spec as { replicas?: number }).replicas, undefined, `${d.metadata.name}: replicas left to the HPA`);
            const labels = spec<DeploymentSpec>(d).template.metadata.labels;
            const pdbs = ofKind(all, 'PodDisruptionBudget').filter((p) => selects(spec<DeploymentSpec>(p).selector.matchLabels, labels));
            assert.equal(pdbs.length, 1, `${d.metadata.name}: exactly one PodDisruptionBudget`);
          }
          const hpaTargets = ofKind(all, 'HorizontalPodAutoscaler').map((h) => spec<{ scaleTargetRef: { name: string } }>(h).scaleTargetRef.name);
          for (const name of hpaTargets) byName(all, 'Deployment', name);
        });

        it('ships a proxy config that tsgi-proxy --check-config accepts', () => {
          const { text } = proxyConfig(objs());
          const r = checkProxyConfig(text);
          assert.equal(r.status, 0, r.output);
        });
      });
    }
  });
}
