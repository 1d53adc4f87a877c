import { reasonPhrase } from '@tsgi/http1';

// Werkzeug's phrases where they differ from the shared table (@tsgi/http1);
// Flask users see these names in error pages and status lines.
const WERKZEUG_PHRASES: Record<number, string | undefined> = {
  203: 'Non Authoritative Information',
  207: 'Multi Status',
  306: 'Switch Proxy',
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  416: 'Requested Range Not Satisfiable',
  418: "I'm a teapot",
  422: 'Unprocessable Entity',
  449: 'Retry With',
  509: undefined,
  511: 'Network Authentication Failed',
};

const lines = new Map<number, string>();

/** The reason phrase for a status code ('Unknown' when there is none). */
export function statusPhrase(status: number): string {
  return status in WERKZEUG_PHRASES ? (WERKZEUG_PHRASES[status] ?? 'Unknown') : reasonPhrase(status);
}

/** The TSGI status string, upper-cased as Werkzeug sends it: `404 NOT FOUND`. */
export function statusLine(status: number): string {
  let line = lines.get(status);
  if (line === undefined) {
    line = `${status} ${statusPhrase(status).toUpperCase()}`;
    if (status >= 100 && status <= 999) lines.set(status, line);
  }
  return line;
}
