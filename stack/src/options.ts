import { resolve } from 'node:path';
import { CommandLineError, parseCommandLine } from '@tsgi/arbiter';
import { ConfigError as ProxyConfigError, loadConfig as loadProxyConfig, type ProxyConfig } from '@tsgi/proxy';
import { StackConfigError } from './errors.js';

/** What the runner runs, validated once and frozen. */
export interface StackOptions {
  /** `module:export` of the user's app, as tsgi-appserver takes it. */
  readonly app: string;
  /** Workers per appserver. */
  readonly workers: number;
  /** One appserver per port. */
  readonly appPorts: readonly number[];
  /** Each appserver's /metrics, /healthz, /readyz port, in the order of `appPorts`. */
  readonly metricsPorts: readonly number[];
  readonly proxyPort: number;
  readonly adminPort: number | undefined;
  /** The user's tsgi-proxy config (absolute), or undefined for the generated one. */
  readonly proxyConfig: string | undefined;
  readonly logFormat: 'json' | 'pretty';
  readonly help: boolean;
}

interface StackSetting {
  key: keyof StackOptions;
  flag: string;
  short?: string;
  env?: string;
  type: 'string' | 'boolean';
  default?: string;
  meta: string;
  description: string;
}

/** Each setting declared once: flag, environment variable, default, help text. */
export const STACK_SETTINGS: readonly StackSetting[] = [
  { key: 'app', flag: 'app', env: 'TSGI_START_APP', type: 'string', meta: 'MODULE:EXPORT', description: 'your app, as tsgi-appserver takes it (e.g. dist/app.js:app); required' },
  { key: 'workers', flag: 'workers', short: 'w', env: 'TSGI_START_WORKERS', type: 'string', default: '2', meta: 'N', description: 'workers per appserver' },
  { key: 'appPorts', flag: 'app-ports', env: 'TSGI_START_APP_PORTS', type: 'string', default: '8001,8002', meta: 'P,P,...', description: 'one appserver per port (127.0.0.1)' },
  { key: 'metricsPorts', flag: 'metrics-ports', env: 'TSGI_START_METRICS_PORTS', type: 'string', default: '9101,9102', meta: 'P,P,...', description: "each appserver's /metrics, /healthz, /readyz port" },
  { key: 'proxyPort', flag: 'proxy-port', env: 'TSGI_START_PROXY_PORT', type: 'string', default: '8080', meta: 'PORT', description: "the edge proxy's port (the generated config)" },
  { key: 'adminPort', flag: 'admin-port', env: 'TSGI_START_ADMIN_PORT', type: 'string', default: '9100', meta: 'PORT', description: "the proxy's admin port: /metrics, /upstreams (the generated config)" },
  { key: 'proxyConfig', flag: 'proxy-config', env: 'TSGI_START_PROXY_CONFIG', type: 'string', meta: 'FILE', description: 'your own tsgi-proxy config instead of the generated one; its listeners and admin address decide the proxy ports' },
  { key: 'logFormat', flag: 'log-format', env: 'LOG_FORMAT', type: 'string', meta: 'json|pretty', description: 'pretty: one human line per event (default in a terminal); json: the tiers\' own records' },
  { key: 'help', flag: 'help', short: 'h', type: 'boolean', meta: '', description: 'print this help' },
];

export function helpText(): string {
  const rows = STACK_SETTINGS.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : '    '}--${s.flag}${s.meta ? ` ${s.meta}` : ''}`;
    const extra = [s.env ? `env ${s.env}` : '', s.default ? `default ${s.default}` : ''].filter(Boolean).join(', ');
    return `  ${names.padEnd(32)} ${s.description}${extra ? ` (${extra})` : ''}`;
  });
  return [
    'Usage: tsgi-stack --app MODULE:EXPORT [options]',
    '',
    'Runs the local TSGI stack for your app: tsgi-proxy in front of one tsgi-appserver per app port.',
    'A tier that exits unexpectedly is restarted with back-off; the stack stops on INT, TERM or HUP,',
    'or when a tier fails to boot 3 times in a row (exit 1 to 4, with one line naming the tier).',
    '',
    'Options (a flag wins over its environment variable):',
    ...rows,
  ].join('\n');
}

function port(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new StackConfigError(`${what} must be a port number 1-65535, got "${value}"`);
  return n;
}

function portList(value: string, what: string): number[] {
  return value.split(',').map((p, i) => port(p.trim(), `${what} (item ${i + 1})`));
}

/** `host:port` → port, for the addresses of a user's proxy config. */
function addressPort(address: unknown, where: string): number {
  const m = typeof address === 'string' ? /:(\d+)$/.exec(address) : null;
  if (m === null) throw new StackConfigError(`${where} must be "host:port", got ${JSON.stringify(address)}`);
  return port(m[1]!, where);
}

/** The user's proxy config, validated by tsgi-proxy's own loader (the same verdict the proxy gives): its ports. */
function proxyConfigPorts(file: string): { proxyPort: number; adminPort: number | undefined } {
  let config: ProxyConfig;
  try {
    ({ config } = loadProxyConfig(['--config', file], {}));
  } catch (err) {
    if (err instanceof ProxyConfigError) throw new StackConfigError(`--proxy-config ${file}: ${err.message.replace(/^config: /, '')}`);
    throw err;
  }
  const first = config.listeners[0]!;
  return {
    proxyPort: addressPort(first.address, `--proxy-config ${file}: listeners.0.address`),
    adminPort: config.admin.address === null ? undefined : addressPort(config.admin.address, `--proxy-config ${file}: admin.address`),
  };
}

/** Flags, then environment, then defaults; every problem is a StackConfigError naming the flag or variable (exit 2). */
export function loadOptions(argv: readonly string[], env: NodeJS.ProcessEnv, stdoutIsTTY: boolean, cwd = process.cwd()): StackOptions {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, STACK_SETTINGS.map((s) => (s.short ? { name: s.flag, short: s.short, type: s.type } : { name: s.flag, type: s.type })));
  } catch (err) {
    if (err instanceof CommandLineError) throw new StackConfigError(`${err.message} (see --help)`);
    throw err;
  }
  if (parsed.positionals.length > 0) throw new StackConfigError(`unexpected argument "${parsed.positionals[0]}": the app goes in --app MODULE:EXPORT`);
  const given = new Map(parsed.values.map((v) => [v.name, v]));
  const raw = (s: StackSetting): { value: string | undefined; what: string } => {
    const flag = given.get(s.flag);
    if (flag !== undefined) {
      if (typeof flag.value !== 'string') throw new StackConfigError(`${flag.flag} needs a value`);
      return { value: flag.value, what: flag.flag };
    }
    const fromEnv = s.env === undefined ? undefined : env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, what: s.env! };
    return { value: s.default, what: `--${s.flag}` };
  };
  const setting = (key: keyof StackOptions): StackSetting => STACK_SETTINGS.find((s) => s.key === key)!;
  const help = given.get('help')?.value === true;

  const app = raw(setting('app'));
  if (!help && (app.value === undefined || !/^.+:[A-Za-z_$][\w$]*$/.test(app.value))) {
    throw new StackConfigError(
      app.value === undefined ? 'no app: give --app MODULE:EXPORT (or TSGI_START_APP), e.g. --app dist/app.js:app' : `${app.what} must be MODULE:EXPORT, got "${app.value}"`,
    );
  }
  const workers = raw(setting('workers'));
  if (!/^[1-9]\d*$/.test(workers.value!)) throw new StackConfigError(`${workers.what} must be a positive integer, got "${workers.value}"`);
  const appPorts = raw(setting('appPorts'));
  const metricsPorts = raw(setting('metricsPorts'));
  const apps = portList(appPorts.value!, appPorts.what);
  const metrics = portList(metricsPorts.value!, metricsPorts.what);
  if (metrics.length !== apps.length) {
    throw new StackConfigError(`${metricsPorts.what} needs one port per app port (${apps.length}), got ${metrics.length}`);
  }
  const format = raw(setting('logFormat'));
  const logFormat = format.value ?? (stdoutIsTTY ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new StackConfigError(`${format.what} must be json or pretty, got "${logFormat}"`);

  const proxyConfigRaw = raw(setting('proxyConfig'));
  let proxyPort: number;
  let adminPort: number | undefined;
  let proxyConfig: string | undefined;
  if (proxyConfigRaw.value !== undefined) {
    for (const key of ['proxyPort', 'adminPort'] as const) {
      const flag = given.get(setting(key).flag);
      if (flag) throw new StackConfigError(`${flag.flag} and ${proxyConfigRaw.what} together: the config file's addresses decide the proxy's ports`);
    }
    proxyConfig = resolve(cwd, proxyConfigRaw.value);
    ({ proxyPort, adminPort } = proxyConfigPorts(proxyConfig));
  } else {
    const p = raw(setting('proxyPort'));
    const a = raw(setting('adminPort'));
    proxyPort = port(p.value!, p.what);
    adminPort = port(a.value!, a.what);
  }
  const all = [...apps, ...metrics, proxyPort, ...(adminPort === undefined ? [] : [adminPort])];
  const twice = all.find((p, i) => all.indexOf(p) !== i);
  if (twice !== undefined) throw new StackConfigError(`port ${twice} is given to two tiers`);
  return Object.freeze({
    app: app.value ?? '',
    workers: Number(workers.value),
    appPorts: Object.freeze(apps),
    metricsPorts: Object.freeze(metrics),
    proxyPort,
    adminPort,
    proxyConfig,
    logFormat,
    help,
  });
}
