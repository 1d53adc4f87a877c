import { parseAllDocuments } from 'yaml';
import { StackConfigError } from '../errors.js';

/** The parts of a rendered Kubernetes object the checks read. */
export interface KubeObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds: number } } };
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Container[]; terminationGracePeriodSeconds?: number; volumes?: { name: string; configMap?: { name: string } }[] };
}

/** One tier's pod as rendered: what its container runs with and how it is stopped. */
export interface RenderedTier {
  deployment: string;
  image: string | undefined;
  args: string[];
  /** envFrom ConfigMaps, then `env` values (valueFrom is not known before the pod runs). */
  env: Record<string, string>;
  labels: Record<string, string>;
  ports: { name?: string; containerPort: number }[];
  /** Seconds the preStop hook waits (`sleep N` or the native sleep action); 0 without one. */
  preStopSeconds: number;
  /** Kubernetes' default is 30. */
  gracePeriodSeconds: number;
  /** A file the container reads, as mounted from a ConfigMap: mount path → content. */
  files: Map<string, string>;
}

export interface NetworkPolicyRule {
  from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown; ipBlock?: unknown }[];
  ports?: { port?: string | number }[];
}

/** What the checks need from a rendered overlay (`kubectl kustomize` / `kustomize build` output). */
export interface Rendered {
  app: RenderedTier;
  proxy: RenderedTier;
  networkPolicies: { name: string; podSelector: Record<string, string> | undefined; ingress: NetworkPolicyRule[] | undefined; ingressType: boolean }[];
}

/**
 * Reads a render. The tiers are the Deployments whose first container is named `app` and `proxy`
 * (as in k8s/ and the k8s/ create-tsgi writes); throws StackConfigError naming what is missing.
 */
export function readRender(text: string, source: string): Rendered {
  const objs: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const [error] = doc.errors;
    if (error) throw new StackConfigError(`${source} is not YAML: ${error.message.split('\n')[0]}`);
    const o = doc.toJS() as KubeObject | null;
    if (o !== null && typeof o === 'object' && typeof o.kind === 'string') objs.push(o);
  }
  const configMaps = new Map(objs.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  const tier = (container: string): RenderedTier => {
    const d = objs.find((o) => o.kind === 'Deployment' && (o.spec as { template?: PodTemplate } | undefined)?.template?.spec.containers[0]?.name === container);
    if (d === undefined) throw new StackConfigError(`${source}: no Deployment runs a first container named "${container}"`);
    const template = (d.spec as { template: PodTemplate }).template;
    const c = template.spec.containers[0]!; // found by it above
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) Object.assign(env, configMaps.get(from.configMapRef?.name ?? '') ?? {});
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const files = new Map<string, string>();
    for (const mount of c.volumeMounts ?? []) {
      const volume = template.spec.volumes?.find((v) => v.name === mount.name);
      const data = volume?.configMap ? configMaps.get(volume.configMap.name) : undefined;
      for (const [key, content] of Object.entries(data ?? {})) files.set(`${mount.mountPath.replace(/\/$/, '')}/${key}`, content);
    }
    const hook = c.lifecycle?.preStop;
    const command = hook?.exec?.command ?? [];
    return {
      deployment: d.metadata.name,
      image: c.image,
      args: c.args ?? [],
      env,
      labels: template.metadata?.labels ?? {},
      ports: c.ports ?? [],
      preStopSeconds: hook?.sleep?.seconds ?? (command[0] === 'sleep' ? Number(command[1]) : 0),
      gracePeriodSeconds: template.spec.terminationGracePeriodSeconds ?? 30,
      files,
    };
  };
  const networkPolicies = objs
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => {
      const s = o.spec as { podSelector?: { matchLabels?: Record<string, string> }; ingress?: NetworkPolicyRule[]; policyTypes?: string[] };
      return {
        name: o.metadata.name,
        podSelector: s.podSelector?.matchLabels,
        ingress: s.ingress,
        // No policyTypes: Ingress is implied.
        ingressType: s.policyTypes === undefined || s.policyTypes.includes('Ingress'),
      };
    });
  return { app: tier('app'), proxy: tier('proxy'), networkPolicies };
}

/** True when every key/value of `selector` is among `labels` (an empty selector selects every pod). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
