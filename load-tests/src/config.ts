import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { PACKAGE_DIR } from './repo.js';
import { join } from 'node:path';

/** Scenario names the runner knows. */
export const SCENARIOS = ['app-scaling', 'proxy-scaling', 'compare-edges', 'compare-servers', 'faults'] as const;
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
  --app-workers LIST  app workers to sweep in app-scaling, e.g. 1,2,4,8 (default 1,2)
  --proxy-workers LIST proxy workers to sweep in proxy-scaling, e.g. 1,2,4 (default 1,2)
  --workers N         worker count of every server in compare-servers (default 1)
  --variants LIST     run only these variants (names as in the report)
  --max-requests N    request cap per stage (default 500000)
  --out DIR           where <scenario>.json and .html go (default load-tests/results)
  --containers        run against the docker compose stack instead of local processes
  --no-html           skip the HTML report`;

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
        'no-html': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new ConfigError(`config: ${(err as Error).message.split('\n')[0]}`);
  }
  if (values.help) throw new ConfigError(USAGE);
  const pick = (flag: string, envName: string | undefined, dflt: string): Source => {
    const cli = values[flag];
    if (typeof cli === 'string') return { value: cli, from: `--${flag}` };
    if (envName && env[envName] !== undefined) return { value: env[envName] as string, from: envName };
    return { value: dflt, from: 'default' };
  };
  if (typeof values.scenario !== 'string') {
    throw new ConfigError(`config: scenario is required, one of ${SCENARIOS.join(', ')} (from --scenario)`);
  }
  const scen = pick('scenario', undefined, '');
  const scenarioParsed = schema.scenario.safeParse(scen.value);
  if (!scenarioParsed.success) {
    throw new ConfigError(`config: scenario must be one of ${SCENARIOS.join(', ')}, got "${scen.value}" (from --scenario)`);
  }
  const conn = typeof values.connections === 'string' ? { value: values.connections, from: '--connections' } : undefined;
  const cfg: RunnerConfig = {
    scenario: scenarioParsed.data,
    durationS: check('durationS', pick('duration', 'TSGI_LOADTEST_DURATION', '3'), '--duration'),
    warmupS: check('warmupS', pick('warmup', 'TSGI_LOADTEST_WARMUP', '1'), '--warmup'),
    rounds: check('rounds', pick('rounds', 'TSGI_LOADTEST_ROUNDS', '2'), '--rounds'),
    connections: conn ? check('connections', conn, '--connections') : undefined,
    appWorkers: check('appWorkers', pick('app-workers', undefined, '1,2'), '--app-workers'),
    proxyWorkers: check('proxyWorkers', pick('proxy-workers', undefined, '1,2'), '--proxy-workers'),
    workers: check('workers', pick('workers', undefined, '1'), '--workers'),
    variants: typeof values.variants === 'string' ? values.variants.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    maxRequests: check('maxRequests', pick('max-requests', undefined, '500000'), '--max-requests'),
    outDir: typeof values.out === 'string' ? values.out : join(PACKAGE_DIR, 'results'),
    containers: values.containers === true,
    html: values['no-html'] !== true,
  };
  return Object.freeze(cfg);
}
