import { parseCidr, TOKEN_RE } from '@tsgi/http1';
import { z } from 'zod';
import { parseRate, positiveDuration, size } from './config-units.js';
import { DEFAULT_CIPHERS, DEFAULT_COMPRESSIBLE_TYPES, MAX_UNIX_PATH } from './edge-defaults.js';

/** A limitReq/limitConn key: `ip`, `route` or `header:<token>` (the token class shared with @tsgi/http1). */
const LIMIT_KEY = new RegExp(`^(?:ip|route|header:${TOKEN_RE.source.slice(1, -1)})$`);

/**
 * The config keys of the edge features, as zod fragments that config.ts
 * splices into its schema, so errors keep the one-line
 * `config: <key> ... (from <file>)` form.
 */
export function edgeSchemas() {
  const cert = z
    .object({
      cert: z.string().min(1),
      key: z.string().min(1),
      serverNames: z.array(z.string().regex(/^(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/, 'must be host names such as example.com or *.example.com')).optional(),
    })
    .strict();

  const tls = z
    .object({
      certs: z.array(cert).min(1),
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      ciphers: z.string().regex(/^[A-Za-z0-9!+@:_-]+$/, 'must be an OpenSSL cipher list').default(DEFAULT_CIPHERS),
      http2: z.boolean().default(true),
      handshakeTimeout: positiveDuration.default(10_000),
    })
    .strict();

  /** Extra keys of one listener. */
  const listener = {
    tls: tls.optional(),
    proxyProtocol: z.boolean().default(false),
    proxyProtocolTimeout: positiveDuration.default(5000),
  };

  // One schema, not a union of string and number, so `rate: true` gets the hint too.
  const rate = z
    .unknown()
    .refine((r) => (typeof r === 'string' || typeof r === 'number') && parseRate(r) !== null, 'must be a rate such as 10r/s or 30r/m')
    .transform((r) => parseRate(r as string | number) as number);
  const key = z
    .string()
    .regex(LIMIT_KEY, 'must be ip, route or header:<name>')
    .transform((k) => (k.startsWith('header:') ? `header:${k.slice(7).toLowerCase()}` : k));
  const status = z.number().int().min(400).max(599);

  /** nginx limit_req_zone + limit_req. */
  const limitReqZone = z
    .object({
      key: key.default('ip'),
      rate,
      burst: z.number().int().min(0).default(0),
      nodelay: z.boolean().default(false),
      status: status.default(429),
      maxKeys: z.number().int().min(1).default(100_000),
    })
    .strict();

  /** nginx limit_conn_zone + limit_conn (requests in progress per key). */
  const limitConnZone = z
    .object({
      key: key.default('ip'),
      max: z.number().int().min(1),
      status: status.default(429),
    })
    .strict();

  const target = z.string().refine((s) => s === 'all' || parseCidr(s) !== null, 'must be all, an IP address or a CIDR such as 10.0.0.0/8');
  // One object with exactly one of the two keys (not a union of two objects), so a wrong rule is named plainly.
  const ruleShape = 'must be { allow: <target> } or { deny: <target> }';
  const accessRule = z
    .object({ allow: target.optional(), deny: target.optional() }, { invalid_type_error: ruleShape })
    .strict()
    .superRefine((r, ctx) => {
      if ((r.allow === undefined) === (r.deny === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: ruleShape });
    })
    .transform((r) => (r.allow !== undefined ? { allow: r.allow } : { deny: r.deny as string }));

  /** Response compression at the edge (off by default); a route may override any key, or say true/false. */
  const mediaType = z.string().regex(/^[A-Za-z0-9!#$&^_.+-]+\/(?:\*|\*\+[A-Za-z0-9.-]+|[A-Za-z0-9!#$&^_.+-]+)$/, 'must be media types such as text/html, text/* or application/*+json');
  const compressionKeys = {
    enabled: z.boolean(),
    encodings: z
      .array(z.enum(['br', 'gzip']))
      .min(1)
      .refine((a) => new Set(a).size === a.length, 'must not repeat an encoding'),
    minBytes: size,
    types: z.array(mediaType).min(1),
    gzipLevel: z.number().int().min(1).max(9),
    brotliQuality: z.number().int().min(0).max(11),
  };
  const compression = z
    .object({
      enabled: compressionKeys.enabled.default(false),
      encodings: compressionKeys.encodings.default(['br', 'gzip']),
      minBytes: compressionKeys.minBytes.default(1024),
      types: compressionKeys.types.default([...DEFAULT_COMPRESSIBLE_TYPES]),
      gzipLevel: compressionKeys.gzipLevel.default(6),
      brotliQuality: compressionKeys.brotliQuality.default(4),
    })
    .strict();
  // `compression: true|false` on a route is short for `{ enabled: ... }`; a preprocess (not a union) keeps errors naming the key.
  const routeCompression = z.preprocess(
    (v) => (typeof v === 'boolean' ? { enabled: v } : v),
    z.object(compressionKeys, { invalid_type_error: 'must be true, false or a mapping of compression keys' }).partial().strict(),
  );

  /** Extra keys of one route. */
  const route = {
    compression: routeCompression.optional(),
    access: z.array(accessRule).default([]),
    limitReq: z.array(z.string().min(1)).default([]),
    limitConn: z.array(z.string().min(1)).default([]),
    maxBodyBytes: size.optional(),
    maxHeaderBytes: size.optional(),
  };

  /** Extra keys of one upstream group. */
  const upstream = {
    proxyProtocol: z.enum(['off', 'v1', 'v2']).default('off'),
  };

  /** Top-level keys. */
  const top = {
    compression: compression.default({}),
    limitReq: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -'), limitReqZone).default({}),
    limitConn: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -'), limitConnZone).default({}),
    trace: z
      .object({
        /** Generate or continue W3C traceparent and X-Request-Id upstream. */
        enabled: z.boolean().default(true),
      })
      .strict()
      .default({}),
  };

  return { tls, listener, limitReqZone, limitConnZone, route, upstream, top };
}

/** `unix:/path` upstream server addresses. */
export const unixServerAddress = z
  .string()
  .regex(/^unix:[^\0\r\n]+$/, 'must be unix:/path')
  .refine((s) => Buffer.byteLength(s.slice(5)) <= MAX_UNIX_PATH, `unix socket paths must be at most ${MAX_UNIX_PATH} bytes`);

/** Cross-checks: routes name zones that exist. `issue` reports at a path. */
export function checkEdgeReferences(
  config: { routes: readonly { limitReq: readonly string[]; limitConn: readonly string[] }[]; limitReq: Record<string, unknown>; limitConn: Record<string, unknown> },
  issue: (path: (string | number)[], message: string) => void,
): void {
  config.routes.forEach((r, i) => {
    r.limitReq.forEach((name, j) => {
      if (!(name in config.limitReq)) issue(['routes', i, 'limitReq', j], `names no limitReq zone (have: ${Object.keys(config.limitReq).join(', ') || 'none'})`);
    });
    r.limitConn.forEach((name, j) => {
      if (!(name in config.limitConn)) issue(['routes', i, 'limitConn', j], `names no limitConn zone (have: ${Object.keys(config.limitConn).join(', ') || 'none'})`);
    });
  });
}
