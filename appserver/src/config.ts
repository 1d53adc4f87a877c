import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.js';
import { DEFAULT_ACCESS_LOG_FORMAT, SETTINGS, SETTINGS_BY_KEY, type Setting } from './settings.js';

/** The effective, validated, frozen appserver configuration. */
export interface AppserverConfig {
  bind: string[];
  workers: number;
  timeout: number;
  gracefulTimeout: number;
  keepAlive: number;
  headerTimeout: number;
  bodyTimeout: number;
  sendTimeout: number;
  maxRequests: number;
  maxRequestsJitter: number;
  limitRequestLine: number;
  limitRequestFields: number;
  limitRequestFieldSize: number;
  limitRequestBody: number;
  preload: boolean;
  interface: 'auto' | 'tsgi' | 'fetch' | 'node';
  socketModel: 'round-robin' | 'shared' | 'reuse-port';
  sticky: boolean;
  accessLogfile: string | null;
  accessLogformat: string;
  errorLogfile: string;
  logLevel: 'debug' | 'info' | 'warning' | 'error' | 'critical';
  logFormat: 'json' | 'text';
  metricsBind: string | null;
  forwardedAllowIps: string[];
  pid: string | null;
  checkConfig: boolean;
  app: string | null;
  /** The config file read, if any (absolute). */
  configFile: string | null;
  /** Directory relative paths were resolved against. */
  cwd: string;
}

/** Where each effective value came from (`default`, the file name, `TSGI_X`, `--x`). */
export type ConfigSources = Record<string, string>;

export interface LoadedConfig {
  config: Readonly<AppserverConfig>;
  sources: ConfigSources;
  /** `--help` / `--version` asked: print this and exit 0. */
  print?: string;
}

interface RawValue {
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
  const config = out as unknown as AppserverConfig;
  config.configFile = configFile;
  config.cwd = cwd;
  if (config.maxRequestsJitter > 0 && config.maxRequests === 0) {
    throw new ConfigError('maxRequestsJitter', 'config: max-requests-jitter needs --max-requests > 0');
  }
  if (!config.app) {
    throw new ConfigError('app', 'config: app is required: tsgi-appserver [options] module:export');
  }
  return { config: deepFreeze(config), sources };
}

function defaults(cwd: string): AppserverConfig {
  const out: Record<string, unknown> = { configFile: null, cwd };
  for (const setting of SETTINGS) out[setting.key] = setting.default;
  return out as unknown as AppserverConfig;
}

function parseArgv(argv: readonly string[]): { values: Map<string, RawValue>; print?: string } {
  const values = new Map<string, RawValue>();
  const byFlag = new Map<string, Setting>();
  for (const setting of SETTINGS) {
    byFlag.set(setting.flag, setting);
    if (setting.short) byFlag.set(setting.short, setting);
  }
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { values, print: helpText() };
    if (arg === '--version' || arg === '-v') return { values, print: `tsgi-appserver ${VERSION}` };
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    let inline: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (flag === '--config' || flag === '-c') {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new ConfigError('config', `config: ${flag} needs a value (from argv)`);
      values.set('config', { value: v, from: '--config' });
      continue;
    }
    const negated = flag.startsWith('--no-') ? byFlag.get(`--${flag.slice(5)}`) : undefined;
    const setting = byFlag.get(flag) ?? (negated?.kind === 'bool' ? negated : undefined);
    if (!setting) throw new ConfigError(flag, `config: unknown flag ${flag} (from argv; see --help)`);
    let value: unknown;
    if (setting.kind === 'bool') {
      value = negated ? 'false' : (inline ?? 'true');
    } else {
      if (inline === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
          throw new ConfigError(setting.key, `config: ${flag} needs a value (from argv)`);
        }
        inline = next;
        i++;
      }
      value = inline;
    }
    if (setting.repeat) {
      const prev = values.get(setting.key);
      values.set(setting.key, { value: [...((prev?.value as string[]) ?? []), value], from: setting.flag });
    } else {
      values.set(setting.key, { value, from: setting.flag });
    }
  }
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

async function readConfigFile(file: string, via: string): Promise<Map<string, RawValue>> {
  if (!existsSync(file)) throw new ConfigError('config', `config: config file not found: ${file} (from ${via})`);
  let data: unknown;
  try {
    if (extname(file) === '.json') {
      data = JSON.parse(await readFile(file, 'utf8'));
    } else {
      // Cache-busted so HUP re-reads an edited file.
      const mod = (await import(`${pathToFileURL(file).href}?t=${Date.now()}`)) as { default?: unknown };
      data = mod.default ?? mod;
    }
  } catch (err) {
    throw new ConfigError('config', `config: cannot read ${file}: ${(err as Error).message.split('\n')[0]} (from ${via})`, { cause: err });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError('config', `config: ${file} must hold an object of settings (from ${via})`);
  }
  const out = new Map<string, RawValue>();
  const name = file.split('/').pop()!;
  for (const [rawKey, value] of Object.entries(data)) {
    const key = rawKey.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!SETTINGS_BY_KEY.has(key) || key === 'checkConfig') {
      throw new ConfigError(rawKey, `config: unknown setting "${rawKey}" (from ${name})`);
    }
    out.set(key, { value, from: name });
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
  for (const st of SETTINGS) rows[st.key] = { value: (loaded.config as unknown as Record<string, unknown>)[st.key], from: loaded.sources[st.key] ?? 'default' };
  return JSON.stringify({ configFile: loaded.config.configFile, settings: rows }, null, 2);
}
