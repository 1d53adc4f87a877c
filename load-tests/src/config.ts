import { parseArgs } from 'node:util';
import { z } from 'zod';
import { messageOf } from '@tsgi/errors';
import { ConfigError } from './errors.js';
import { PACKAGE_DIR } from './repo.js';
import { parseRate, parseSlo, type RateSpec, type SloCheck } from './gates/slo.js';
import { join } from 'node:path';

/** Scenario names the runner knows. */
export const SCENARIOS = ['scaling-matrix', 'app-scaling', 'proxy-scaling', 'compare-edges', 'compare-servers', 'faults'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The runner's validated, frozen settings. */
export interface RunnerConfig {
  scenario: ScenarioName;
  durationS: number;
  warmupS: number;
  rounds: number;
  connections: number | undefined;
  appWorkers: number[];
  proxyWorkers: number[];
  workers: number;
  variants: string[] | undefined;
  maxRequests: number;
  outDir: string;
  containers: boolean;
  html: boolean;
  /** Cores of CPU each scaled unit (proxy worker, app worker) may use (`--cpu-budget`); undefined: unbudgeted. */
  cpuBudget: number | undefined;
  /** Open-model load: requests per second over all connections (`--rate`); undefined: closed model. */
  rate: RateSpec | undefined;
  /** Service-level objectives every variant must meet (`--slo`). */
  slo: SloCheck[];
  /** A previous result file to gate against (`--compare`), and the tolerance. */
  compare: string | undefined;
  compareTolerance: number;
  /** Path the scaling scenarios load (default: the sample app's CPU route with a cost that fits the budgets). */
  path: string | undefined;
  /** Capacity advice (`--target-rate`): the rate to size for, the pod's CPU limit and the utilisation ceiling. */
  targetRate: number | undefined;
  podCpuLimit: number;
  utilisationCeiling: number;
  /** Advise from an earlier scaling result instead of running (`--capacity-from`). */
  capacityFrom: string | undefined;
}

const positiveInt = z.coerce.number().int().positive();
const positiveNum = z.coerce.number().positive();
const list = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
  .pipe(z.array(positiveInt).min(1));

const schema = {
  scenario: z.enum(SCENARIOS),
  durationS: positiveNum.max(3600),
  warmupS: z.coerce.number().min(0).max(600),
  rounds: positiveInt.max(100),
  connections: positiveInt.max(20_000),
  appWorkers: list,
  proxyWorkers: list,
  workers: positiveInt.max(256),
  maxRequests: positiveInt,
  cpuBudget: positiveNum.min(0.01).max(64),
  compareTolerance: z.coerce.number().min(0).max(10),
  targetRate: positiveNum.max(1e8),
  podCpuLimit: positiveNum.min(0.1).max(256),
  utilisationCeiling: positiveNum.min(0.1).max(1),
};

type Source = { value: string; from: string };

function check<T>(key: keyof typeof schema, src: Source, flag: string): T {
  const parsed = schema[key].safeParse(src.value);
  if (!parsed.success) {
    const why = parsed.error.issues[0]?.message ?? 'invalid';
    throw new ConfigError(`config: ${flag.replace(/^--/, '')} ${why.toLowerCase()}, got "${src.value}" (from ${src.from})`);
  }
  return parsed.data as T;
}

export const USAGE = `usage: npm run loadtest -- --scenario <name> [options]
scenarios: ${SCENARIOS.join(', ')}
  --duration S        measured seconds per stage (default 3; env TSGI_LOADTEST_DURATION)
  --warmup S          warm-up seconds before each stage (default 1)
  --rounds N          interleaved rounds (default 2; env TSGI_LOADTEST_ROUNDS)
  --connections N     concurrent connections (default per scenario)
  --app-workers LIST  app workers to sweep (scaling-matrix, app-scaling), e.g. 1,2,4,8
                      (default 1,2,4 in scaling-matrix, else 1,2); the proxy is fixed at 2 x the largest
  --proxy-workers LIST proxy workers to sweep (scaling-matrix, proxy-scaling), same defaults; the app
                      tier is fixed at 2 x the largest
  --workers N         worker count of every server in compare-servers (default 1)
  --variants LIST     run only these variants (names as in the report)
  --max-requests N    request cap per stage (default 500000)
  --cpu-budget CORES  put each proxy worker and each app worker in its own cgroup with this CPU quota
                      (e.g. 0.1; cgroup v2 cpu.max or v1 cpu.cfs_quota_us, 20 ms period; needs root)
  --rate R | R1-R2    open-model load: R requests/s over all connections (R1-R2 ramps in 5 steps);
                      latencies corrected for coordinated omission
  --slo LIST          objectives every variant must meet, e.g. 'p99<200ms,errors<0.1%,rps>500'
                      (p50 p90 p99 p999 max mean in ms or s, errors in %, rps); a miss exits 1
  --compare FILE      gate against an earlier results JSON: req/s may not drop, p99 may not rise,
                      by more than --compare-tolerance (default 0.15 = 15 %); a miss exits 1
  --target-rate R     capacity advice for R req/s from the scaling result: replicas, workers and CPU
                      per tier, written as k8s capacity-patch.yaml next to the results
  --pod-cpu-limit N   cores per pod in the advice (default 2; one worker per core)
  --utilisation-ceiling F  share of a pod's CPU planned at the target rate (default 0.7)
  --capacity-from FILE  advise from an earlier scaling result instead of running (needs --target-rate)
  --path PATH         path the scaling scenarios load (default /cpu?n=5, the sample app's CPU route)
  --out DIR           where <scenario>.json and .html go (default load-tests/results)
  --containers        scaling scenarios: each matrix cell a Compose project, one worker and
                      cpus: --cpu-budget per replica, load spread over the proxy replicas' ports;
                      other scenarios: load the docker compose stack instead of local processes
  --no-html           skip the HTML report`;

function checkPath(path: string): string {
  if (!path.startsWith('/') || /\s/.test(path)) throw new ConfigError(`config: path must start with / and hold no spaces, got "${path}" (from --path)`);
  return path;
}

/** Parses argv (and TSGI_LOADTEST_* env) into the runner config; throws ConfigError with one line. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Readonly<RunnerConfig> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        rounds: { type: 'string' },
        connections: { type: 'string' },
        'app-workers': { type: 'string' },
        'proxy-workers': { type: 'string' },
        workers: { type: 'string' },
        variants: { type: 'string' },
        'max-requests': { type: 'string' },
        out: { type: 'string' },
        containers: { type: 'boolean', default: false },
        'cpu-budget': { type: 'string' },
        rate: { type: 'string' },
        slo: { type: 'string' },
        compare: { type: 'string' },
        'compare-tolerance': { type: 'string' },
        path: { type: 'string' },
        'target-rate': { type: 'string' },
        'pod-cpu-limit': { type: 'string' },
        'utilisation-ceiling': { type: 'string' },
        'capacity-from': { type: 'string' },
        'no-html': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new ConfigError(`config: ${messageOf(err).split('\n')[0]}`);
  }
  if (values.help) throw new ConfigError(USAGE);
  const pick = (flag: string, envName: string | undefined, dflt: string): Source => {
    const cli = values[flag];
    if (typeof cli === 'string') return { value: cli, from: `--${flag}` };
    if (envName && env[envName] !== undefined) return { value: env[envName] as string, from: envName };
    return { value: dflt, from: 'default' };
  };
  const capacityOnly = typeof values['capacity-from'] === 'string' && typeof values.scenario !== 'string';
  if (capacityOnly && typeof values['target-rate'] !== 'string') {
    throw new ConfigError('config: capacity-from needs --target-rate (from --capacity-from)');
  }
  if (typeof values.scenario !== 'string' && !capacityOnly) {
    throw new ConfigError(`config: scenario is required, one of ${SCENARIOS.join(', ')} (from --scenario)`);
  }
  const scen = pick('scenario', undefined, capacityOnly ? 'scaling-matrix' : '');
  const scenarioParsed = schema.scenario.safeParse(scen.value);
  if (!scenarioParsed.success) {
    throw new ConfigError(`config: scenario must be one of ${SCENARIOS.join(', ')}, got "${scen.value}" (from --scenario)`);
  }
  // The matrix shows 4 x scaling per tier; the one-dimensional cuts keep their quicker default.
  const sweepDefault = scenarioParsed.data === 'scaling-matrix' ? '1,2,4' : '1,2';
  const conn = typeof values.connections === 'string' ? { value: values.connections, from: '--connections' } : undefined;
  const cfg: RunnerConfig = {
    scenario: scenarioParsed.data,
    durationS: check('durationS', pick('duration', 'TSGI_LOADTEST_DURATION', '3'), '--duration'),
    warmupS: check('warmupS', pick('warmup', 'TSGI_LOADTEST_WARMUP', '1'), '--warmup'),
    rounds: check('rounds', pick('rounds', 'TSGI_LOADTEST_ROUNDS', '2'), '--rounds'),
    connections: conn ? check('connections', conn, '--connections') : undefined,
    appWorkers: check('appWorkers', pick('app-workers', undefined, sweepDefault), '--app-workers'),
    proxyWorkers: check('proxyWorkers', pick('proxy-workers', undefined, sweepDefault), '--proxy-workers'),
    workers: check('workers', pick('workers', undefined, '1'), '--workers'),
    variants: typeof values.variants === 'string' ? values.variants.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    maxRequests: check('maxRequests', pick('max-requests', undefined, '500000'), '--max-requests'),
    outDir: typeof values.out === 'string' ? values.out : join(PACKAGE_DIR, 'results'),
    containers: values.containers === true,
    html: values['no-html'] !== true,
    cpuBudget: typeof values['cpu-budget'] === 'string' ? check('cpuBudget', { value: values['cpu-budget'], from: '--cpu-budget' }, '--cpu-budget') : undefined,
    rate: typeof values.rate === 'string' ? parseRate(values.rate) : undefined,
    slo: typeof values.slo === 'string' ? parseSlo(values.slo) : [],
    compare: typeof values.compare === 'string' ? values.compare : undefined,
    compareTolerance: check('compareTolerance', pick('compare-tolerance', undefined, '0.15'), '--compare-tolerance'),
    path: typeof values.path === 'string' ? checkPath(values.path) : undefined,
    targetRate: typeof values['target-rate'] === 'string' ? check('targetRate', { value: values['target-rate'], from: '--target-rate' }, '--target-rate') : undefined,
    podCpuLimit: check('podCpuLimit', pick('pod-cpu-limit', undefined, '2'), '--pod-cpu-limit'),
    utilisationCeiling: check('utilisationCeiling', pick('utilisation-ceiling', undefined, '0.7'), '--utilisation-ceiling'),
    capacityFrom: typeof values['capacity-from'] === 'string' ? values['capacity-from'] : undefined,
  };
  return Object.freeze(cfg);
}
