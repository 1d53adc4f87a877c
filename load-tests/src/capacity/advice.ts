import type { MatrixCell, ScenarioResult, Tier } from '../result-types.js';

/**
 * The sizing model, stated in the report: each tier serves `perCoreRps`
 * requests per second per core of CPU (measured: throughput over the CPU the
 * tier used, the median over the matrix's cells); a pod gets `podCpuLimit`
 * cores and one worker per core; pods are planned to run at most at
 * `utilisationCeiling` of their CPU at the target rate (the rest is headroom
 * for bursts, a lost pod and the HPA's reaction time, and matches the HPA's
 * 70 % target in k8s/base).
 */
export interface CapacityModel {
  targetRate: number;
  utilisationCeiling: number;
  podCpuLimit: number;
}

export const DEFAULT_MODEL: Omit<CapacityModel, 'targetRate'> = { utilisationCeiling: 0.7, podCpuLimit: 2 };

/** What one tier needs for the target rate. */
export interface TierAdvice {
  tier: Tier;
  /** Requests per second one core of this tier serves (measured). */
  perCoreRps: number;
  /** Cells the measurement came from. */
  cells: number;
  replicas: number;
  workersPerReplica: number;
  /** CPU request per pod (millicores): its expected use at the target rate, rounded up to 50m. */
  cpuRequestMillis: number;
  /** CPU limit per pod (cores). */
  cpuLimit: number;
  /** Expected CPU use of each pod at the target rate, over its limit. */
  expectedUtilisation: number;
}

export interface CapacityAdvice {
  model: CapacityModel;
  tiers: TierAdvice[];
  /** The model in one paragraph, for the report. */
  explanation: string;
}

/** Cores a tier used in a cell: its share of the CPU it may use times what it may use. */
function coresUsed(c: MatrixCell, tier: Tier, budgetCores: number | null): number {
  const workers = tier === 'proxy' ? c.proxyWorkers : c.appWorkers;
  return c.utilisation[tier] * workers * (budgetCores ?? 1);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Replicas, workers and CPU requests and limits per tier for a target rate, from a scaling result. */
export function capacityAdvice(result: ScenarioResult, model: CapacityModel): CapacityAdvice {
  const matrix = result.matrix;
  if (!matrix || matrix.cells.length === 0) throw new Error(`capacity advice needs a scaling result with a matrix (${result.scenario} has none)`);
  const tiers = (['proxy', 'app'] as const).map((tier): TierAdvice => {
    const samples = matrix.cells
      .map((c) => ({ rps: c.rps, cores: coresUsed(c, tier, matrix.budgetCores) }))
      .filter((s) => s.cores > 0 && s.rps > 0)
      .map((s) => s.rps / s.cores);
    if (samples.length === 0) throw new Error(`capacity advice: no cell measured the ${tier} tier's CPU`);
    const perCoreRps = median(samples);
    const perPodRps = perCoreRps * model.podCpuLimit * model.utilisationCeiling;
    const replicas = Math.max(1, Math.ceil(model.targetRate / perPodRps));
    const expectedCores = model.targetRate / replicas / perCoreRps;
    return {
      tier,
      perCoreRps: Math.round(perCoreRps),
      cells: samples.length,
      replicas,
      workersPerReplica: Math.max(1, Math.round(model.podCpuLimit)),
      cpuRequestMillis: Math.max(50, Math.ceil((expectedCores * 1000) / 50) * 50),
      cpuLimit: model.podCpuLimit,
      expectedUtilisation: Math.round((expectedCores / model.podCpuLimit) * 100) / 100,
    };
  });
  const explanation =
    `Each tier's requests per second per core is its throughput over the CPU it used, the median over ${matrix.cells.length} cells ` +
    `(${tiers.map((t) => `${t.tier} ${t.perCoreRps}`).join(', ')} req/s per core). A pod has a ${model.podCpuLimit}-core limit and one worker per core, ` +
    `and is planned to use at most ${Math.round(model.utilisationCeiling * 100)} % of it at ${model.targetRate} req/s: replicas = ceil(target / (per-core rate × limit × ceiling)); ` +
    `the CPU request is the expected use per pod at the target, rounded up to 50m. The HPA's minimum is set to those replicas and its maximum to twice that.`;
  return { model, tiers, explanation };
}

const DEPLOYMENT = { proxy: { name: 'tsgi-proxy', container: 'proxy' }, app: { name: 'tsgi-app', container: 'app' } } as const;

/**
 * The advice as one Kustomize patch file (strategic merge, several documents)
 * for k8s/overlays/* and the scaffold's k8s/: HPA bounds, per-pod CPU, and the
 * workers per pod (TSGI_WORKERS for the appserver, TSGI_PROXY_WORKERS for the proxy).
 */
export function kustomizePatch(advice: CapacityAdvice): string {
  const header = `# Written by \`npm run loadtest -- --target-rate ${advice.model.targetRate}\`: add it LAST to an overlay's
# kustomization.yaml patches (after the overlay's own HPA patches, so these numbers win):
#   patches:
#     - ...
#     - path: capacity-patch.yaml
# Model: ${advice.explanation}
`;
  const docs = advice.tiers.flatMap((t) => {
    const d = DEPLOYMENT[t.tier];
    const workersEnv = t.tier === 'app' ? 'TSGI_WORKERS' : 'TSGI_PROXY_WORKERS';
    return [
      `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${d.name}
spec:
  minReplicas: ${t.replicas}
  maxReplicas: ${Math.max(2 * t.replicas, t.replicas + 1)}
`,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${d.name}
spec:
  template:
    spec:
      containers:
        - name: ${d.container}
          env:
            - name: ${workersEnv}
              value: "${t.workersPerReplica}"
          resources:
            requests:
              cpu: ${t.cpuRequestMillis}m
            limits:
              cpu: "${t.cpuLimit}"
`,
    ];
  });
  return `${header}${docs.join('---\n')}`;
}
