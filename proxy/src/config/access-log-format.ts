/**
 * The `accessLog.format` value: `json`, `combined`, or a template of
 * `$field` references. The field names are declared here, with the key, so
 * the config can name an unknown one; telemetry/access-log.ts gives each its value.
 */
export const ACCESS_LOG_FIELD_NAMES = [
  'remote_addr',
  'time_local',
  'time_iso8601',
  'request',
  'request_method',
  'request_uri',
  'server_protocol',
  'host',
  'status',
  'body_bytes_sent',
  'request_length',
  'request_time',
  'upstream',
  'upstream_addr',
  'upstream_connect_time',
  'upstream_header_time',
  'retries',
  'error',
  'trace_id',
  'request_id',
] as const;

export type AccessLogFieldName = (typeof ACCESS_LOG_FIELD_NAMES)[number];

/** nginx's `combined`, then the upstream's address, timings, request length and retries. */
export const COMBINED_FORMAT =
  '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" ' +
  'upstream=$upstream_addr uct=$upstream_connect_time uht=$upstream_header_time rt=$request_time rl=$request_length retries=$retries';

/** One piece of a template: literal text, a named field, or a request header (`$http_<name>`, lower-case with dashes). */
export type FormatPart = { text: string } | { field: AccessLogFieldName } | { header: string };

const REFERENCE = /\$([a-z][a-z0-9_]*)/g;
const KNOWN: ReadonlySet<string> = new Set(ACCESS_LOG_FIELD_NAMES);

/** The parts of a text format (`combined` or a template) and the references that name no field. */
export function parseAccessLogFormat(format: string): { parts: FormatPart[]; unknown: string[] } {
  const template = format === 'combined' ? COMBINED_FORMAT : format;
  const parts: FormatPart[] = [];
  const unknown: string[] = [];
  let at = 0;
  for (const m of template.matchAll(REFERENCE)) {
    if (m.index > at) parts.push({ text: template.slice(at, m.index) });
    const name = m[1]!;
    if (KNOWN.has(name)) parts.push({ field: name as AccessLogFieldName });
    else if (/^http_[a-z0-9_]+$/.test(name)) parts.push({ header: name.slice(5).replace(/_/g, '-') });
    else unknown.push(`$${name}`);
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push({ text: template.slice(at) });
  return { parts, unknown };
}
