import { FIELD_REFERENCE, type AccessLogFieldName } from '../config/access-log-format.js';
import type { ExchangeRecord } from '../route/proxy-context.js';

/**
 * The access log's named fields (nginx's variable names where nginx has
 * one) and the two ways to write them: `json` (the default: one pino JSON
 * line per request) or a text template of `$field` references
 * (`combined` is nginx's combined format plus upstream timings).
 */

type Field = (r: ExchangeRecord, now: Date) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** nginx's `$time_local` (`08/Dec/2026:02:49:27 +0000`), always in UTC. */
function timeLocal(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Milliseconds as nginx's seconds with millisecond precision; '-' where nothing was measured. */
const seconds = (ms: number | undefined): string => (ms === undefined || ms < 0 ? '-' : (ms / 1000).toFixed(3));

/** Escapes what could split or forge a line (nginx's escape=default: `"`, `\` and bytes outside printable ASCII as \xHH). */
function escape(value: string): string {
  return /[^\x20-\x21\x23-\x5b\x5d-\x7e]/.test(value) ? value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : value;
}

function requestHeader(r: ExchangeRecord, lower: string): string {
  const head = r.head;
  if (head === undefined || head === null) return '-';
  for (let i = 0; i < head.lower.length; i++) if (head.lower[i] === lower) return escape(head.values[i] ?? '');
  return '-';
}

const dash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : String(v));

/** Every `$name` a format may use; `$http_<name>` reads any request header (dashes as underscores). */
export const ACCESS_LOG_FIELDS: Readonly<Record<AccessLogFieldName, Field>> = {
  remote_addr: (r) => r.remote,
  time_local: (_r, now) => timeLocal(now),
  time_iso8601: (_r, now) => now.toISOString(),
  request: (r) => `${escape(r.method)} ${escape(r.target)} ${r.protocol ?? '-'}`,
  request_method: (r) => escape(r.method),
  request_uri: (r) => escape(r.target),
  server_protocol: (r) => dash(r.protocol),
  host: (r) => escape(r.host),
  status: (r) => String(r.status),
  body_bytes_sent: (r) => String(r.bytesOut),
  request_length: (r) => String(r.bytesIn ?? 0),
  request_time: (r) => seconds(r.durationMs),
  upstream: (r) => r.group,
  upstream_addr: (r) => r.endpoint,
  upstream_connect_time: (r) => seconds(r.connectMs),
  upstream_header_time: (r) => seconds(r.headerMs),
  retries: (r) => String(Math.max(0, r.attempts - 1)),
  error: (r) => dash(r.error),
  trace_id: (r) => r.traceId,
  request_id: (r) => escape(r.requestId),
};

/** nginx's `combined`, then the upstream's address, timings, request length and retries. */
export const COMBINED_FORMAT =
  '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" ' +
  'upstream=$upstream_addr uct=$upstream_connect_time uht=$upstream_header_time rt=$request_time rl=$request_length retries=$retries';

/** A text format (`combined` or a template) compiled to one function per line; call only with a checked template. */
export function compileAccessLogFormat(format: string): (r: ExchangeRecord) => string {
  const template = format === 'combined' ? COMBINED_FORMAT : format;
  const parts: (string | Field)[] = [];
  let at = 0;
  for (const m of template.matchAll(FIELD_REFERENCE)) {
    if (m.index > at) parts.push(template.slice(at, m.index));
    const name = m[1]!;
    const header = name.startsWith('http_') ? name.slice(5).replace(/_/g, '-') : null;
    parts.push(Object.hasOwn(ACCESS_LOG_FIELDS, name) ? ACCESS_LOG_FIELDS[name as AccessLogFieldName] : (r) => requestHeader(r, header!));
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push(template.slice(at));
  return (r) => {
    const now = new Date();
    let line = '';
    for (const p of parts) line += typeof p === 'string' ? p : p(r, now);
    return line;
  };
}

/** The default JSON record's fields (pino adds time, pid, role and msg "access"). */
export function accessLogJson(r: ExchangeRecord): Record<string, unknown> {
  return {
    remote: r.remote,
    method: r.method,
    target: r.target,
    host: r.host,
    status: r.status,
    upstream: r.group,
    endpoint: r.endpoint,
    attempts: r.attempts,
    retries: Math.max(0, r.attempts - 1),
    ms: r.durationMs,
    connect_ms: r.connectMs === undefined || r.connectMs < 0 ? undefined : round3(r.connectMs),
    header_ms: r.headerMs === undefined || r.headerMs < 0 ? undefined : round3(r.headerMs),
    bytes: r.bytesOut,
    bytes_in: r.bytesIn,
    error: r.error ?? undefined,
    detail: r.detail ?? undefined,
    trace_id: r.traceId,
    request_id: r.requestId,
  };
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;
