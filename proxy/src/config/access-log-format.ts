/**
 * The names an `accessLog.format` template may reference (nginx's variable
 * names where nginx has one), owned here so the schema checks a template
 * without importing the writer; `telemetry/access-log.ts` has one extractor
 * per name (its type makes both lists the same).
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

const NAMES: ReadonlySet<string> = new Set(ACCESS_LOG_FIELD_NAMES);
/** One `$name` reference in a template. */
export const FIELD_REFERENCE = /\$([a-z][a-z0-9_]*)/g;

/** The field names a template references that are not fields (empty: the template is good); `$http_<name>` reads any request header. */
export function unknownAccessLogFields(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(FIELD_REFERENCE)) {
    const name = m[1]!;
    if (!NAMES.has(name) && !/^http_[a-z0-9_]+$/.test(name)) bad.push(`$${name}`);
  }
  return bad;
}
