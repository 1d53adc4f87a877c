import { z } from 'zod';
import { ForwardedTrust } from '@tsgi/gateway';

/** gunicorn's default access log format. */
export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

type Kind = 'int' | 'number' | 'bool' | 'string' | 'list' | 'enum';

/**
 * One setting, declared once (gunicorn's `Setting`): the key, its CLI flag,
 * its `TSGI_*` variable, default, validator and description feed the parser,
 * `--help`, `--check-config` and the README table alike.
 */
export interface Setting<K extends string = string, S extends z.ZodTypeAny = z.ZodTypeAny> {
  key: K;
  flag: string;
  short?: string;
  env: string;
  kind: Kind;
  default: unknown;
  schema: S;
  /** Completes "must be ...". */
  expect: string;
  description: string;
  /** CLI only: may repeat (lists). */
  repeat?: boolean;
  /** Taken on HUP without a restart of the master (else: warning, old value kept). */
  reloadable: boolean;
}

const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]*):(\d{1,5})$/;

/** `host:port`, `[v6]:port`, `:port`, `port` or `unix:/path`. */
export function isBindAddress(value: string): boolean {
  if (value.startsWith('unix:')) return value.length > 5;
  if (/^\d{1,5}$/.test(value)) return Number(value) <= 65535;
  const m = hostPort.exec(value);
  return m !== null && Number(m[2]) <= 65535;
}

const bind = z.string().refine(isBindAddress);

/** An IPv4/IPv6 address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or `*`: what --forwarded-allow-ips accepts (the gateway's parser decides). */
export function isAllowIpEntry(value: string): boolean {
  return ForwardedTrust.isEntry(value);
}
/** setTimeout's limit (2^31-1 ms): a longer delay fires after 1 ms, so a huge --graceful-timeout cut drains at once. */
const MAX_TIMER_SECONDS = 2_147_483;
const seconds = z.number().finite().nonnegative().max(MAX_TIMER_SECONDS);
const positiveSeconds = z.number().finite().positive().max(MAX_TIMER_SECONDS);
/** Above 2^53-1 integers lose precision (and the gateway's limits refuse them, so workers failed to boot). */
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const SECONDS = `a number of seconds from 0 to ${MAX_TIMER_SECONDS}`;
const POSITIVE_SECONDS = `a number of seconds > 0, at most ${MAX_TIMER_SECONDS}`;
const COUNT = 'an integer from 0 to 2^53-1';

/** A setting, with its key and schema kept as types (the config's type is derived from them) and a default its schema accepts. */
function s<const K extends string, S extends z.ZodTypeAny>(
  def: Omit<Setting<K, S>, 'flag' | 'env' | 'reloadable' | 'default'> & { default: z.output<S>; reloadable?: boolean; flag?: string },
): Setting<K, S> {
  const kebab = def.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return {
    ...def,
    flag: def.flag ?? `--${kebab}`,
    env: `TSGI_${kebab.replace(/-/g, '_').toUpperCase()}`,
    reloadable: def.reloadable ?? true,
  };
}

export const SETTINGS = Object.freeze([
  s({ key: 'bind', short: '-b', kind: 'list', repeat: true, default: ['127.0.0.1:8000'], schema: z.array(bind).min(1),
    expect: 'host:port, [v6]:port, port or unix:/path', description: 'Address to listen on; repeat for several.', reloadable: false }),
  s({ key: 'workers', short: '-w', kind: 'int', default: 1, schema: z.number().int().min(1).max(1024),
    expect: 'an integer from 1 to 1024', description: 'Number of worker processes.' }),
  s({ key: 'timeout', short: '-t', kind: 'number', default: 30, schema: seconds,
    expect: SECONDS, description: 'Workers silent (event loop blocked) this long are killed and restarted; 0 disables.' }),
  s({ key: 'gracefulTimeout', kind: 'number', default: 30, schema: seconds,
    expect: SECONDS, description: 'Time workers get to finish in-flight requests on TERM, HUP and retirement.' }),
  s({ key: 'keepAlive', kind: 'number', default: 2, schema: positiveSeconds,
    expect: POSITIVE_SECONDS, description: 'Idle keep-alive connections are closed after this long.' }),
  s({ key: 'headerTimeout', kind: 'number', default: 10, schema: positiveSeconds,
    expect: POSITIVE_SECONDS, description: 'A request head must arrive within this long (slowloris guard).' }),
  s({ key: 'bodyTimeout', kind: 'number', default: 60, schema: positiveSeconds,
    expect: POSITIVE_SECONDS, description: 'Longest gap between request body bytes while the app reads them: 408 (or close once the response started), as nginx client_body_timeout.' }),
  s({ key: 'sendTimeout', kind: 'number', default: 60, schema: positiveSeconds,
    expect: POSITIVE_SECONDS, description: 'A response write waiting this long for a client that does not read closes the connection, as nginx send_timeout.' }),
  s({ key: 'maxRequests', kind: 'int', default: 0, schema: count,
    expect: COUNT, description: 'A worker retires gracefully after this many requests; 0 disables.' }),
  s({ key: 'maxRequestsJitter', kind: 'int', default: 0, schema: count,
    expect: COUNT, description: 'Random 0..N added to --max-requests per worker so they do not retire together.' }),
  s({ key: 'maxWorkerMemory', kind: 'int', default: 0, schema: z.number().int().min(0).max(1_048_576),
    expect: 'a number of MB from 0 to 1048576', description: 'A worker whose resident set size (RSS) stays above this many MB for --max-worker-memory-beats heartbeats is retired like --max-requests (replacement first, then drain); 0 disables.' }),
  s({ key: 'maxWorkerHeapFraction', kind: 'number', default: 0, schema: z.number().min(0).lt(1),
    expect: 'a number from 0 up to (not including) 1', description: "The same for V8 heap used above this fraction of V8's heap_size_limit (old plus young generation: with --max-old-space-size=96, 288 MB on Node 24), before V8 dies of heap exhaustion; 0 disables." }),
  s({ key: 'maxWorkerMemoryBeats', kind: 'int', default: 3, schema: z.number().int().min(1).max(1000),
    expect: 'an integer from 1 to 1000', description: 'Consecutive heartbeats over a memory limit before a worker is retired (a heartbeat: --timeout/4, 50 ms..1 s).' }),
  s({ key: 'limitRequestLine', kind: 'int', default: 4094, schema: z.number().int().min(0).max(65536),
    expect: 'an integer 0..65536', description: 'Longest request line in bytes (414 above); 0: no limit.' }),
  s({ key: 'limitRequestFields', kind: 'int', default: 100, schema: z.number().int().min(0).max(32768),
    expect: 'an integer 0..32768', description: 'Most header fields (431 above); 0: no limit.' }),
  s({ key: 'limitRequestFieldSize', kind: 'int', default: 8190, schema: z.number().int().min(0).max(65536),
    expect: 'an integer 0..65536', description: 'Longest header field in bytes (431 above); 0: no limit.' }),
  s({ key: 'limitRequestBody', kind: 'int', default: 100 * 1024 * 1024, schema: count,
    expect: COUNT, description: 'Largest request body in bytes (413 above), as the gateway and the proxy (100 MiB); 0: no limit.' }),
  s({ key: 'preload', kind: 'bool', default: false, schema: z.boolean(),
    expect: 'true or false', description: 'gunicorn compatibility: the master always imports the app once before forking to validate it (see README).', reloadable: false }),
  s({ key: 'interface', kind: 'enum', default: 'auto', schema: z.enum(['auto', 'tsgi', 'fetch', 'node']),
    expect: 'one of auto, tsgi, fetch, node', description: 'What the exported app is: TSGI app, fetch handler or Node request listener.' }),
  s({ key: 'socketModel', kind: 'enum', default: 'shared', schema: z.enum(['round-robin', 'shared', 'reuse-port']),
    expect: 'one of round-robin, shared, reuse-port', description: 'How connections reach workers (reuse-port needs Node >= 22.12).', reloadable: false }),
  s({ key: 'sticky', kind: 'bool', default: false, schema: z.boolean(),
    expect: 'true or false', description: 'Send each client address to the same worker (the master accepts and hands connections over); for socket.io and other per-worker sessions. Overrides socket-model.', reloadable: false }),
  s({ key: 'proxyProtocolFrom', kind: 'list', default: [], schema: z.array(z.string().refine(isAllowIpEntry)),
    expect: "a comma-separated list of IPv4/IPv6 addresses, CIDRs or '*'", description: 'With --sticky: peers (your proxy) that send a PROXY protocol v1/v2 header first; the master hashes the client address it carries, and the worker sees that address. Others connect as they are.', reloadable: false }),
  s({ key: 'reload', kind: 'bool', default: false, schema: z.boolean(),
    expect: 'true or false', description: "Development: watch the app module's directory (and --reload-extra-file) and start a new worker generation on each change, as HUP does; a change that fails to load keeps the old workers.", reloadable: false }),
  s({ key: 'reloadExtraFile', kind: 'list', repeat: true, default: [], schema: z.array(z.string().min(1)),
    expect: 'a file path', description: 'With --reload: one more file to watch (a config, a template outside the app directory); repeat for several.', reloadable: false }),
  s({ key: 'allowDebug', kind: 'bool', default: false, schema: z.boolean(),
    expect: 'true or false', description: 'Serve an app in debug mode (TSGI_DEBUG=1 or the framework\'s debug: true) all the same; without it such an app is refused (exit 2). Development only: the debug page shows requests and stacks to every client.' }),
  s({ key: 'accessLogfile', kind: 'string', default: null, schema: z.string().min(1).nullable(),
    expect: "a path or '-'", description: "Access log: '-' for stdout or a file path; unset: no access log." }),
  s({ key: 'accessLogformat', kind: 'string', default: DEFAULT_ACCESS_LOG_FORMAT, schema: z.string().min(1),
    expect: 'a non-empty format', description: 'gunicorn access log atoms: %(h)s %(r)s %(s)s %(b)s %(D)s %({name}i)s ...' }),
  s({ key: 'errorLogfile', kind: 'string', default: '-', schema: z.string().min(1),
    expect: "a path or '-'", description: "Error log (JSON): '-' for stderr or a file path." }),
  s({ key: 'logLevel', kind: 'enum', default: 'info', schema: z.enum(['debug', 'info', 'warning', 'error', 'critical']),
    expect: 'one of debug, info, warning, error, critical', description: 'Error log level.' }),
  s({ key: 'logFormat', kind: 'enum', default: 'json', schema: z.enum(['json', 'text']),
    expect: 'json or text', description: 'Access log lines as pino JSON (msg = the formatted line) or plain text.' }),
  s({ key: 'metricsBind', kind: 'string', default: null, schema: bind.nullable(),
    expect: 'host:port, [v6]:port, port or unix:/path', description: 'Where /metrics, /healthz and /readyz are served (never on the app port).', reloadable: false }),
  s({ key: 'forwardedAllowIps', kind: 'list', default: ['127.0.0.1', '::1'], schema: z.array(z.string().refine(isAllowIpEntry)),
    expect: "a comma-separated list of IPv4/IPv6 addresses, CIDRs or '*'", description: 'Peers whose X-Forwarded-Proto is trusted.' }),
  s({ key: 'controlSocket', kind: 'string', default: null, schema: z.string().min(1).nullable(),
    expect: 'a file path', description: 'Unix socket (mode 0600) for `tsgi-appserver ctl`: status, workers N|+1|-1, reload, dump PID.', reloadable: false }),
  s({ key: 'pid', kind: 'string', default: null, schema: z.string().min(1).nullable(),
    expect: 'a file path', description: 'Write the master pid to this file.', reloadable: false }),
  s({ key: 'checkConfig', kind: 'bool', default: false, schema: z.boolean(),
    expect: 'true or false', description: 'Validate, print the effective config and exit (0 ok, 2 error).' }),
  s({ key: 'app', kind: 'string', default: null, schema: z.string().min(1).nullable(), flag: '--app',
    expect: 'module:export', description: 'The app, e.g. dist/app.js:app (also the positional argument).' }),
] as const);

type AnySetting = (typeof SETTINGS)[number];
export type SettingKey = AnySetting['key'];

/** Every setting's validated value by key: what its schema outputs. The appserver's config type is this, derived from the table, never restated. */
export type SettingValues = { -readonly [S in AnySetting as S['key']]: z.output<S['schema']> };

export const SETTINGS_BY_KEY: ReadonlyMap<string, AnySetting> = new Map(SETTINGS.map((x) => [x.key, x]));
