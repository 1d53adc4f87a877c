import { resolve } from 'node:path';
import { CommandLineError, parseCommandLine, type CliOption } from '@tsgi/arbiter';
import { readConfigFile } from './config-file.js';
import { ConfigError } from './errors.js';
import { describeTarget, parseBind } from './listen-targets.js';
import { DEFAULT_ACCESS_LOG_FORMAT, SETTINGS, type Setting, type SettingValues } from './settings.js';

/** The effective, validated, frozen appserver configuration: each setting's value (types from the settings table), plus where it was read. */
export type AppserverConfig = SettingValues & {
  /** The config file read, if any (absolute). */
  configFile: string | null;
  /** Directory relative paths were resolved against. */
  cwd: string;
};

/** Where each effective value came from (`default`, the file name, `TSGI_X`, `--x`). */
export type ConfigSources = Record<string, string>;

export interface LoadedConfig {
  config: Readonly<AppserverConfig>;
  sources: ConfigSources;
  /** `--help` / `--version` asked: print this and exit 0. */
  print?: string;
}

/** One setting's value before validation, with where it came from. */
export interface RawValue {
  value: unknown;
  from: string;
}

export const VERSION = '0.1.0';

/**
 * Builds the config: defaults < config file (`--config`/`TSGI_CONFIG`,
 * `.js`/`.mjs` default export or `.json`) < `TSGI_*` environment < CLI.
 * Throws ConfigError (one line naming the key, value and source; exit 2).
 * The only place that reads argv and the environment.
 */
export async function loadConfig(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<LoadedConfig> {
  const cli = parseArgv(argv);
  if (cli.print) return { config: Object.freeze(defaults(cwd)), sources: {}, print: cli.print };
  const configPath = (cli.values.get('config')?.value as string | undefined) ?? env.TSGI_CONFIG;
  const layers: Array<Map<string, RawValue>> = [];
  let configFile: string | null = null;
  if (configPath) {
    configFile = resolve(cwd, configPath);
    layers.push(await readConfigFile(configFile, cli.values.has('config') ? '--config' : 'TSGI_CONFIG'));
  }
  layers.push(readEnv(env));
  cli.values.delete('config');
  layers.push(cli.values);

  const out: Record<string, unknown> = {};
  const sources: ConfigSources = {};
  for (const setting of SETTINGS) {
    out[setting.key] = setting.default;
    sources[setting.key] = 'default';
    for (const layer of layers) {
      const raw = layer.get(setting.key);
      if (raw === undefined) continue;
      out[setting.key] = validate(setting, raw);
      sources[setting.key] = raw.from;
    }
  }
  // Each key was set above from its setting, with a value its schema produced.
  const config: AppserverConfig = { ...(out as SettingValues), configFile, cwd };
  if (config.maxRequestsJitter > 0 && config.maxRequests === 0) {
    throw new ConfigError('maxRequestsJitter', 'config: max-requests-jitter needs --max-requests > 0');
  }
  if (config.proxyProtocolFrom.length > 0 && !config.sticky) {
    throw new ConfigError('proxyProtocolFrom', `config: proxy-protocol-from needs --sticky (the sticky master reads the header; from ${sources.proxyProtocolFrom})`);
  }
  checkDistinctAddresses(config, sources);
  if (!config.app) {
    throw new ConfigError('app', 'config: app is required: tsgi-appserver [options] module:export');
  }
  return { config: deepFreeze(config), sources };
}

/**
 * The same address twice in --bind, or --metrics-bind on an app address, can
 * never listen: a usage error here instead of EADDRINUSE from a booting worker
 * (exit 3 after its log lines). Port 0 is exempt: each one gets its own pick.
 */
function checkDistinctAddresses(config: AppserverConfig, sources: ConfigSources): void {
  const seen = new Set<string>();
  for (const bind of config.bind) {
    const target = parseBind(bind);
    if (!('path' in target) && target.port === 0) continue;
    const key = describeTarget(target);
    if (seen.has(key)) throw new ConfigError('bind', `config: bind lists ${key} twice (from ${sources.bind})`);
    seen.add(key);
  }
  if (config.metricsBind !== null && seen.has(describeTarget(parseBind(config.metricsBind)))) {
    throw new ConfigError('metricsBind', `config: metrics-bind ${config.metricsBind} is also an app address in --bind; it must differ (from ${sources.metricsBind})`);
  }
}

function defaults(cwd: string): AppserverConfig {
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) out[setting.key] = setting.default;
  // Each default passed its setting's schema type in settings.ts.
  return { ...(out as SettingValues), configFile: null, cwd };
}

/** The command line's flags: every setting's (and `--no-<flag>` for booleans), plus --config, --help and --version. */
const CLI_OPTIONS: readonly CliOption[] = Object.freeze([
  { name: 'config', short: 'c', type: 'string' },
  { name: 'help', short: 'h', type: 'boolean' },
  { name: 'version', short: 'v', type: 'boolean' },
  ...SETTINGS.map((st): CliOption => {
    const option: CliOption = { name: st.flag.slice(2), type: st.kind === 'bool' ? 'boolean' : 'string' };
    if (st.short) option.short = st.short.slice(1);
    return option;
  }),
]);
const SETTING_BY_FLAG_NAME: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((st) => [st.flag.slice(2), st]));

function parseArgv(argv: readonly string[]): { values: Map<string, RawValue>; print?: string } {
  const values = new Map<string, RawValue>();
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, CLI_OPTIONS);
  } catch (err) {
    if (!(err instanceof CommandLineError)) throw err;
    if (err.code === 'ARB_ERR_CLI_UNKNOWN_FLAG') throw new ConfigError(err.flag, `config: unknown flag ${err.flag} (from argv; see --help)`);
    const key = SETTING_BY_FLAG_NAME.get(err.flag.replace(/^--?/, ''))?.key ?? (err.flag === '-c' ? 'config' : err.flag);
    throw new ConfigError(key, `config: ${err.flag} needs a value (from argv)`);
  }
  for (const { name, value } of parsed.values) {
    if (name === 'help') return { values, print: helpText() };
    if (name === 'version') return { values, print: `tsgi-appserver ${VERSION}` };
    if (name === 'config') {
      values.set('config', { value, from: '--config' });
      continue;
    }
    const setting = SETTING_BY_FLAG_NAME.get(name)!;
    const raw = typeof value === 'boolean' ? String(value) : value;
    if (setting.repeat) {
      const prev = values.get(setting.key);
      values.set(setting.key, { value: [...((prev?.value as string[]) ?? []), raw], from: setting.flag });
    } else {
      values.set(setting.key, { value: raw, from: setting.flag });
    }
  }
  const positional = parsed.positionals;
  if (positional.length > 1) {
    throw new ConfigError('app', `config: expected one app (module:export), got ${positional.length}: ${positional.join(' ')} (from argv)`);
  }
  if (positional.length === 1) values.set('app', { value: positional[0], from: 'argv' });
  return { values };
}

function readEnv(env: NodeJS.ProcessEnv): Map<string, RawValue> {
  const out = new Map<string, RawValue>();
  for (const setting of SETTINGS) {
    const v = env[setting.env];
    if (v !== undefined && v !== '') out.set(setting.key, { value: v, from: setting.env });
  }
  return out;
}

function validate(setting: Setting, raw: RawValue): unknown {
  const value = coerce(setting, raw.value);
  const result = value === INVALID ? undefined : setting.schema.safeParse(value);
  if (!result?.success) {
    const name = setting.flag.slice(2);
    const shown = typeof raw.value === 'string' ? JSON.stringify(raw.value) : JSON.stringify(raw.value) ?? String(raw.value);
    throw new ConfigError(setting.key, `config: ${name} must be ${setting.expect}, got ${shown} (from ${raw.from})`);
  }
  return result.data;
}

const INVALID = Symbol('invalid');

function coerce(setting: Setting, value: unknown): unknown {
  if (value === null) return null;
  switch (setting.kind) {
    case 'int':
    case 'number':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
      return INVALID;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const v = value.toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
      }
      return INVALID;
    case 'list':
      if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? splitList(v) : [v]));
      if (typeof value === 'string') return splitList(value);
      return INVALID;
    default:
      return value;
  }
}

function splitList(v: string): string[] {
  return v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

function deepFreeze<T extends object>(obj: T): Readonly<T> {
  for (const v of Object.values(obj)) if (typeof v === 'object' && v !== null) Object.freeze(v);
  return Object.freeze(obj);
}

/** `--help`: generated from the settings table. */
export function helpText(): string {
  const lines = [
    'usage: tsgi-appserver [options] module:export',
    '       tsgi-appserver ctl --socket PATH [--json] status | workers N|+1|-1 | reload | dump PID',
    '',
    'Runs a TSGI app (or a fetch handler / Node request listener) under a pre-fork master.',
    'Precedence: defaults < config file (--config, TSGI_CONFIG) < TSGI_* env < command line.',
    '',
    '  -c, --config PATH              tsgi.config.js (default export) or .json',
  ];
  for (const st of SETTINGS) {
    if (st.key === 'app') continue;
    const flag = `${st.short ? `${st.short}, ` : '    '}${st.flag}${st.kind === 'bool' ? '' : ' VALUE'}`;
    const def = st.default === null ? '' : ` [${Array.isArray(st.default) ? st.default.join(',') : String(st.default)}]`;
    lines.push(`  ${flag.padEnd(30)} ${st.description}${def === ` [${DEFAULT_ACCESS_LOG_FORMAT}]` ? '' : def} (${st.env})`);
  }
  lines.push('  -h, --help / -v, --version');
  return lines.join('\n');
}

/** The effective config as printed by `--check-config`. */
export function describeConfig(loaded: LoadedConfig): string {
  const rows: Record<string, { value: unknown; from: string }> = {};
  for (const st of SETTINGS) rows[st.key] = { value: loaded.config[st.key], from: loaded.sources[st.key] ?? 'default' };
  return JSON.stringify({ configFile: loaded.config.configFile, settings: rows }, null, 2);
}
