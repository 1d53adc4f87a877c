import type { Environ } from '@tsgi/gateway';
import { escapeHtml } from './html.js';
import { Response } from './response.js';

/** Headers whose values are credentials: shown as redacted, never in clear. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-auth-token', 'x-csrf-token', 'x-xsrf-token']);
/** Any other header whose name says it holds a secret. */
const SECRET_NAME = /token|secret|password|api-?key|session/i;

function headerName(key: string): string {
  const bare = key.startsWith('HTTP_') ? key.slice(5) : key;
  return bare
    .toLowerCase()
    .split('_')
    .map((w) => (w === '' ? w : w[0]!.toUpperCase() + w.slice(1)))
    .join('-');
}

/** A credential header's value as the page shows it: the scheme or the cookie names, never the secret. */
function redacted(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'cookie') {
    const names = value.split(';').map((c) => c.split('=')[0]!.trim()).filter((n) => n !== '');
    return `[redacted: ${names.length} cookie(s): ${names.join(', ')}]`;
  }
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^\S+/.exec(value)?.[0];
    return `${scheme ?? ''} [redacted]`.trim();
  }
  return '[redacted]';
}

/** The request's headers, in the order the environ has them, credentials redacted. */
function requestHeaders(environ: Environ): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, raw] of Object.entries(environ)) {
    if (typeof raw !== 'string' || !(key.startsWith('HTTP_') || key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH')) continue;
    if (raw === '' && !key.startsWith('HTTP_')) continue;
    const name = headerName(key);
    const secret = SECRET_HEADERS.has(name.toLowerCase()) || SECRET_NAME.test(name);
    out.push([name, secret ? redacted(name, raw) : raw]);
  }
  return out;
}

/**
 * The debug error page (`debug: true`, `tsgi run --debug`): Werkzeug's
 * debugger page without its console, so nothing is ever executed. It shows
 * the error, the request (method, target, protocol, headers with
 * Authorization, Cookie and other credential values redacted) and the
 * stack, all HTML-escaped. Never on unless asked for.
 */
export function debugErrorPage(environ: Environ, error: unknown): Response {
  const title = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const stack = error instanceof Error ? (error.stack ?? title) : String(error);
  const query = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : '';
  const target = `${environ.SCRIPT_NAME}${environ.PATH_INFO}${query}`;
  const rows = requestHeaders(environ)
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  const body = `<!doctype html>
<html lang=en>
<meta charset=utf-8>
<title>${escapeHtml(title)} (debug)</title>
<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;overflow:auto}th{text-align:left;padding-right:1em;vertical-align:top}td{font-family:monospace;word-break:break-all}.note{color:#a00}</style>
<h1>${escapeHtml(title)}</h1>
<p class=note>Debug mode is on: this page shows the request and the stack to whoever made the request. Never turn it on in production.</p>
<h2>Request</h2>
<table>
<tr><th>Method</th><td>${escapeHtml(environ.REQUEST_METHOD)}</td></tr>
<tr><th>Target</th><td>${escapeHtml(target)}</td></tr>
<tr><th>Protocol</th><td>${escapeHtml(environ.SERVER_PROTOCOL)}</td></tr>
</table>
<h2>Headers</h2>
<table>
${rows}
</table>
<h2>Traceback</h2>
<pre>${escapeHtml(stack)}</pre>
`;
  return new Response(body, { status: 500, headers: [['Content-Type', 'text/html; charset=utf-8'], ['Cache-Control', 'no-store']] });
}
