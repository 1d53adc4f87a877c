import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { CommandLineError, parseCommandLine, type CliOption } from '@tsgi/arbiter';
import { parseCidr, TOKEN_RE } from '@tsgi/http1';
import { ConfigError } from '../errors.js';
import { readConfigSource, type ConfigSource } from './config-file.js';
import { issueText } from './config-messages.js';
import { ACCESS_LOG_FIELD_NAMES, unknownAccessLogFields } from './access-log-format.js';

export { readConfigFile } from './config-file.js';
import { duration, positiveDuration, size } from './config-units.js';
import { checkEdgeReferences, edgeSchemas, unixServerAddress } from './edge-config.js';

/** `host:port`, `[v6]:port`; port 0 lets the OS choose (tests). */
const address = z.string().refine((s) => !s.startsWith('unix:') && parseAddress(s) !== null, 'must be host:port with a port 0-65535');

const edge = edgeSchemas();

/**
 * Upstream servers: `host:port`, `[v6]:port` or `unix:/path` (nginx `server unix:/run/app.sock`). One schema, not a
 * union, so a bad address gets the hint for what it looks like, not "Invalid input".
 */
/** `json`, `combined`, or a template of `$field` references (proxy/README.md, Access log). */
const accessLogFormat = z.string().superRefine((f, ctx) => {
  if (f === 'json' || f === 'combined') return;
  if (!f.includes('$')) return void ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be json, combined, or a template with $field references' });
  const bad = unknownAccessLogFields(f);
  if (bad.length > 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `names unknown fields ${bad.join(', ')} (have: ${ACCESS_LOG_FIELD_NAMES.map((n) => `$${n}`).join(' ')}, $http_<header>)` });
});

const serverAddress = z.string().superRefine((s, ctx) => {
  if (s.startsWith('unix:')) {
    const r = unixServerAddress.safeParse(s);
    if (!r.success) ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.error.issues[0]?.message ?? 'must be unix:/path' });
  } else if (parseAddress(s) === null) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be host:port with a port 0-65535, or unix:/path' });
  }
});

const cidr = z.string().refine((s) => parseCidr(s) !== null, 'must be an IP address or CIDR such as 10.0.0.0/8');

const server = z
  .object({
    address: serverAddress,
    weight: z.number().int().min(1).max(1000).default(1),
  })
  .strict();

/**
 * Sticky sessions by cookie insertion (HAProxy `cookie SRV insert`, nginx
 * `sticky cookie`): the proxy names the endpoint that served a client in a
 * cookie and sends the client's later requests there while it is usable.
 */
const stickySchema = z
  .object({
    cookie: z.string().regex(TOKEN_RE, 'must be a cookie name (an RFC 9110 token)').default('TSGI_SRV'),
    path: z.string().startsWith('/').regex(/^[^;\s]*$/, 'must not contain ; or spaces').default('/'),
    /** Max-Age; unset: a session cookie. */
    maxAge: duration.optional(),
    httpOnly: z.boolean().default(true),
    secure: z.boolean().default(false),
    sameSite: z.enum(['Strict', 'Lax', 'None']).optional(),
  })
  .strict()
  .refine((c) => c.sameSite !== 'None' || c.secure, { message: 'sameSite None needs secure: true (browsers drop it otherwise)', path: ['sameSite'] });

const upstream = z
  .object({
    servers: z
      .array(
        // A string gets the address hint; anything else that is neither form gets the two forms.
        z.union([serverAddress.transform((a) => ({ address: a, weight: 1 })), server], {
          errorMap: (issue, ctx) => {
            if (issue.code !== z.ZodIssueCode.invalid_union) return { message: ctx.defaultError };
            const asString = typeof ctx.data === 'string' ? issue.unionErrors[0]?.issues[0]?.message : undefined;
            return { message: asString ?? 'must be an address (host:port or unix:/path) or { address, weight }' };
          },
        }),
      )
      .min(1),
    balance: z.enum(['round_robin', 'least_conn', 'p2c', 'hash']).default('round_robin'),
    hash: z
      .object({ source: z.enum(['header', 'cookie', 'ip']), name: z.string().min(1).optional() })
      .strict()
      .refine((h) => h.source === 'ip' || h.name !== undefined, 'hash.name is required for header and cookie')
      .optional(),
    resolve: z
      .object({
        interval: positiveDuration.default(5000),
        minInterval: positiveDuration.default(1000),
        /** DNS servers (`ip` or `ip:port`); default: the system resolver (getaddrinfo, /etc/hosts). */
        servers: z.array(z.string().min(1)).optional(),
        /**
         * A name that does not exist (NXDOMAIN, or no A/AAAA records): `keep` the last endpoints, as for SERVFAIL and
         * timeouts (a transient or wrong NXDOMAIN is no outage); `empty`: the service scaled to zero, the group empties.
         */
        nxdomain: z.enum(['keep', 'empty']).default('keep'),
      })
      .strict()
      .default({}),
    pool: z
      .object({
        maxConnections: z.number().int().nonnegative().default(0),
        maxIdle: z.number().int().nonnegative().default(64),
        idleTimeout: duration.default(1500),
      })
      .strict()
      .default({}),
    timeouts: z
      .object({
        connect: positiveDuration.default(5000),
        header: positiveDuration.default(60_000),
        idle: positiveDuration.default(60_000),
        total: duration.default(0),
        /** An upgraded (WebSocket) tunnel with no bytes either way this long is closed, as nginx's proxy_read_timeout; 0: never. */
        tunnelIdle: duration.default(60_000),
      })
      .strict()
      .default({}),
    retries: z
      .object({
        attempts: z.number().int().min(0).max(10).default(2),
        budget: z.number().min(0).max(1).default(0.2),
        minPerSecond: z.number().nonnegative().default(5),
        statuses: z.array(z.number().int().min(500).max(599)).default([502, 503, 504]),
      })
      .strict()
      .default({}),
    passive: z
      .object({
        maxFails: z.number().int().min(0).default(2),
        failWindow: positiveDuration.default(10_000),
        ejectBase: positiveDuration.default(5000),
        ejectMax: positiveDuration.default(300_000),
      })
      .strict()
      .default({}),
    active: z
      .object({
        path: z.string().startsWith('/').default('/healthz'),
        interval: positiveDuration.default(5000),
        timeout: positiveDuration.default(2000),
        healthyThreshold: z.number().int().min(1).default(2),
        unhealthyThreshold: z.number().int().min(1).default(3),
      })
      .strict()
      .optional(),
    slowStart: duration.default(0),
    sticky: stickySchema.optional(),
    /** Request bodies streamed to this group at once per worker (over `requestBody.bufferSize`); over it they queue, then 503. */
    bodyStreams: z
      .object({
        max: z.number().int().min(1).default(32),
        queue: z.number().int().nonnegative().default(64),
      })
      .strict()
      .default({}),
    ...edge.upstream,
  })
  .strict()
  .refine((u) => u.balance !== 'hash' || u.hash !== undefined, { message: 'hash is required with balance: hash', path: ['hash'] });

/** nginx's `error_page`: a body (inline or from a file) for one status the proxy answers itself. */
const errorPage = z
  .object({
    body: z.string().optional(),
    /** Read when the config is applied (start, HUP); relative paths from the working directory, as TLS files. */
    file: z.string().min(1).optional(),
    type: z.string().regex(/^[!-~][ -~]*$/, 'must be a media type such as text/html; charset=utf-8').default('text/html; charset=utf-8'),
  })
  .strict()
  .refine((p) => (p.body === undefined) !== (p.file === undefined), 'needs exactly one of body or file');

const errorPages = z.record(z.string().regex(/^[45]\d\d$/, 'keys are statuses 400-599'), errorPage).default({});

const route = z
  .object({
    host: z.string().min(1).default('*'),
    path: z.string().startsWith('/').default('/'),
    upstream: z.string().min(1),
    /** Over the global `errorPages` for this route. */
    errorPages: errorPages,
    ...edge.route,
  })
  .strict();

const schema = z
  .object({
    listeners: z
      .array(z.object({ address, ...edge.listener }).strict())
      .min(1)
      .default([{ address: '127.0.0.1:8080' }]),
    admin: z
      .object({
        address: address.nullable().default('127.0.0.1:9100'),
        /** The admin API's bearer token, first line of this file (TSGI_PROXY_ADMIN_TOKEN wins); none: writes refused. */
        tokenFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    workers: z.number().int().min(1).max(256).default(1),
    /** Memory recycling under the arbiter (tsgi-appserver's --max-worker-memory): a worker over a limit for `beats` heartbeats is replaced, then drained. */
    workerMemory: z
      .object({
        /** Resident set size limit (a size: `512m`); 0: off. */
        maxRss: size.default(0),
        /** V8 heap used as a fraction of V8's heap limit, 0 <= f < 1; 0: off. */
        maxHeapFraction: z.number().min(0).lt(1).default(0),
        beats: z.number().int().min(1).max(1000).default(3),
      })
      .strict()
      .default({}),
    upstreams: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -'), upstream),
    routes: z.array(route).min(1),
    limits: z
      .object({
        // The same defaults as the app tier (gunicorn's 4094 / 8190, nginx's 4 x 8k for the whole head): one verdict for the same bytes.
        maxRequestLine: size.default(4094),
        maxFieldBytes: size.default(8190),
        maxHeaderBytes: size.default(32768),
        maxHeaders: z.number().int().min(1).default(100),
        maxBodyBytes: size.default(100 * 1024 * 1024),
        maxResponseHeaderBytes: size.default(65536),
        /** Client connections open at once per worker, all listeners together (nginx worker_connections); over it: closed at accept. */
        maxConnections: z.number().int().min(1).max(1_000_000).default(1024),
      })
      .strict()
      .default({}),
    timeouts: z
      .object({
        clientHeader: positiveDuration.default(10_000),
        keepAlive: duration.default(5000),
        clientIdle: positiveDuration.default(60_000),
        /** Between two reads of a request body (nginx client_body_timeout): 408 past it. */
        clientBody: positiveDuration.default(60_000),
        drain: duration.default(30_000),
      })
      .strict()
      .default({}),
    requestBody: z
      .object({
        /** Bodies up to this size are read whole at the edge before an upstream connection is taken (nginx client_body_buffer_size); 0: stream all. */
        bufferSize: size.default(64 * 1024),
        /** Body bytes held at the edge at once per worker, all requests together; a body that would pass it streams instead. */
        maxBuffered: size.default(64 * 1024 * 1024),
      })
      .strict()
      .default({}),
    forwarded: z
      .object({
        /** Peers allowed to set X-Forwarded-*; their values are kept and the peer appended. */
        trust: z.array(cidr).default([]),
        via: z.string().regex(TOKEN_RE).default('tsgi-proxy'),
      })
      .strict()
      .default({}),
    /** One line per request: `true` (JSON), `false`, or `{ format }` (json, combined, or a `$field` template). */
    accessLog: z
      .union([z.boolean(), z.object({ format: accessLogFormat }).strict()], { errorMap: () => ({ message: 'must be true, false or { format: json | combined | a $field template }' }) })
      .default(true)
      .transform((v) => (v === false ? null : v === true ? { format: 'json' } : v)),
    /** The proxy's 5xx/429 answers carry the internal detail (body, `x-proxy-error`): for development only. */
    debug: z.boolean().default(false),
    errorPages,
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ...edge.top,
  })
  .strict()
  .superRefine((c, ctx) => {
    checkListenerClashes(c, (path, message) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message }));
    checkEdgeReferences(c, (path, message) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message }));
    c.routes.forEach((r, i) => {
      if (!(r.upstream in c.upstreams)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['routes', i, 'upstream'], message: `names no upstream (have: ${Object.keys(c.upstreams).join(', ') || 'none'})` });
      }
    });
  });

/**
 * Two listeners (or a listener and the admin port) on one port of one host, or one of them on the
 * wildcard, could never both bind: refused here (nginx -t says "duplicate listen") instead of EADDRINUSE at boot.
 * Port 0 is a fresh OS pick each time, so it never clashes.
 */
function checkListenerClashes(c: { listeners: { address: string }[]; admin: { address: string | null } }, issue: (path: (string | number)[], message: string) => void): void {
  const taken: { path: (string | number)[]; name: string; host: string; port: number }[] = [];
  const all = c.listeners.map((l, i) => ({ path: ['listeners', i, 'address'], name: `listeners.${i}`, address: l.address }));
  if (c.admin.address !== null) all.push({ path: ['admin', 'address'], name: 'admin', address: c.admin.address });
  for (const { path, name, address } of all) {
    const { host, port } = parseAddress(address) as { host: string; port: number }; // validated by the schema
    if (port === 0) continue;
    const clash = taken.find((t) => t.port === port && (t.host === host || isWildcard(t.host) || isWildcard(host)));
    if (clash !== undefined) return issue(path, `is on the same port as ${clash.name} (${clash.host}:${clash.port}); both cannot bind it`);
    taken.push({ path, name, host, port });
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '*';
}

/** The whole schema, for tests that walk it (every enum-like key has a message test). */
export const configSchema: z.ZodTypeAny = schema;

export type ProxyConfig = z.output<typeof schema>;
export type UpstreamConfig = ProxyConfig['upstreams'][string];
export type RouteConfig = ProxyConfig['routes'][number];

/** Where each value came from, for error messages. */
export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
}

/** What the CLI asked for besides the config itself. */
export interface CliRequest {
  configPath: string | null;
  checkOnly: boolean;
  /** With checkOnly: resolve every upstream name (off with --no-resolve). */
  resolveNames: boolean;
  help: boolean;
  version: boolean;
}

export const USAGE = `usage: tsgi-proxy --config proxy.yaml [--workers N] [--check-config [--no-resolve]]

  --config, -c FILE   YAML or JSON config (env TSGI_PROXY_CONFIG)
  --workers, -w N     worker processes (env TSGI_PROXY_WORKERS; default from config, 1)
  --check-config      validate the config, resolve upstream names, print a summary and exit (0 ok, 2 bad)
  --no-resolve        with --check-config: do not resolve upstream names (a file checked away from its network)
  --help, --version`;

/** tsgi-proxy's flags (the settings themselves live in the config file). */
const CLI_OPTIONS: readonly CliOption[] = Object.freeze([
  { name: 'config', short: 'c', type: 'string' },
  { name: 'workers', short: 'w', type: 'string' },
  { name: 'check-config', type: 'boolean' },
  { name: 'no-resolve', type: 'boolean' },
  { name: 'help', short: 'h', type: 'boolean' },
  { name: 'version', type: 'boolean' },
]);

/** Parses argv (without node and script). Throws ConfigError for unknown flags or missing values. */
export function parseArgv(argv: string[], env: NodeJS.ProcessEnv = {}): CliRequest & { workers?: string } {
  const out: CliRequest & { workers?: string } = { configPath: env.TSGI_PROXY_CONFIG ?? null, checkOnly: false, resolveNames: true, help: false, version: false };
  if (env.TSGI_PROXY_WORKERS !== undefined) out.workers = env.TSGI_PROXY_WORKERS;
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, CLI_OPTIONS);
  } catch (err) {
    if (!(err instanceof CommandLineError)) throw err;
    if (err.code === 'ARB_ERR_CLI_UNKNOWN_FLAG') throw new ConfigError(`config: unknown option "${err.flag}" (from argv)`);
    throw new ConfigError(`config: ${err.flag} needs a value`);
  }
  if (parsed.positionals.length > 0) throw new ConfigError(`config: unknown option "${parsed.positionals[0]}" (from argv)`);
  for (const { name, value } of parsed.values) {
    if (name === 'config') out.configPath = String(value);
    else if (name === 'workers') out.workers = String(value);
    else if (typeof value === 'string' && !/^(true|false)$/.test(value)) {
      // `--check-config=maybe` is a typo, not a yes: a switch takes true/false or nothing.
      throw new ConfigError(`config: --${name} takes no value (or true/false), got "${value}" (from argv)`);
    } else if (value !== false && value !== 'false') {
      if (name === 'check-config') out.checkOnly = true;
      else if (name === 'no-resolve') out.resolveNames = false;
      else if (name === 'help') out.help = true;
      else out.version = true;
    }
  }
  return out;
}

/**
 * Loads and validates the whole config: defaults < file < env < CLI. Returns
 * a deep-frozen object; throws ConfigError with one line naming the key, the
 * bad value and where it came from.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): { config: ProxyConfig; cli: CliRequest; path: string } {
  const cli = parseArgv(argv, env);
  if (cli.help || cli.version) return { config: undefined as never, cli, path: '' };
  if (cli.configPath === null) throw new ConfigError('config: --config is required (or TSGI_PROXY_CONFIG)');
  const path = resolvePath(cli.configPath);
  const source = readConfigSource(path);
  const raw = source.raw;
  let workersFrom = path;
  if (cli.workers !== undefined) {
    const fromFlag = argv.some((a) => a === '--workers' || a === '-w' || a.startsWith('--workers='));
    workersFrom = fromFlag ? '--workers' : 'TSGI_PROXY_WORKERS';
    const n = Number(cli.workers);
    if (!/^\d+$/.test(cli.workers) || n < 1) throw new ConfigError(`config: workers must be a positive integer, got "${cli.workers}" (from ${workersFrom})`);
    raw.workers = n;
  }
  return { config: validateConfig(raw, path, workersFrom, source.lineOf), cli, path };
}

/** Validates a raw object; `source` names the file in error messages, `lineOf` (when the file was read) the line. */
export function validateConfig(raw: unknown, source: string, workersFrom = source, lineOf?: ConfigSource['lineOf']): ProxyConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!; // a failed parse has at least one issue
    // An unknown key is named itself (a typo such as `wieght`), not its whole enclosing object.
    const unknown = issue.code === z.ZodIssueCode.unrecognized_keys ? issue.keys[0] : undefined;
    const path = unknown === undefined ? issue.path : [...issue.path, unknown];
    const key = path.length ? path.join('.') : '(top level)';
    const fromFlag = key === 'workers' && workersFrom !== source;
    const line = fromFlag ? undefined : lineOf?.(path);
    const from = fromFlag ? workersFrom : line === undefined ? source : `${source}:${line}`;
    if (unknown !== undefined) throw new ConfigError(`config: ${key} is not a known key (from ${from})`);
    const shown = showValue(valueAt(raw, path));
    throw new ConfigError(`config: ${key} ${issueText(issue)}, got ${shown} (from ${from})`);
  }
  return deepFreeze(result.data);
}

/** Longest value shown in an error line; longer ones are cut and their length given. */
const SHOWN_MAX = 120;

/** The bad value for `got ...`: JSON, cut when long; never throws (a value nested too deeply to stringify says so). */
function showValue(bad: unknown): string {
  if (bad === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(bad);
  } catch {
    return 'a value nested too deeply to show';
  }
  return text.length <= SHOWN_MAX ? text : `${text.slice(0, SHOWN_MAX)}... (${text.length} characters)`;
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Splits `host:port` / `[v6]:port`; `unix:/path` gives host `unix:/path`, port 0. Returns null when malformed. */
export function parseAddress(s: string): { host: string; port: number } | null {
  if (s.startsWith('unix:')) return s.length > 5 ? { host: s, port: 0 } : null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port }; // one of the two host alternatives matched
}

