/**
 * The numbered rules of gateway/SPEC.md, one line each. The validator, the
 * servers and the conformance kit cite these ids in their log lines and test
 * names; SPEC.md explains each one. Ids are never renumbered or reused.
 */
export const RULES = {
  'APP-1': 'an app is a function (environ, startResponse) returning a body or a promise of one',
  'APP-2': 'the body is an Iterable<Uint8Array> or AsyncIterable<Uint8Array>; not a string, a Uint8Array itself, null or a plain object',
  'APP-3': 'if the body has close(), the server calls it exactly once: after the last chunk, on error, and on client abort',
  'APP-4': 'startResponse must be called before the first non-empty chunk, and at the latest before the body ends',

  'ENV-1': 'REQUEST_METHOD is a non-empty token as sent (case preserved)',
  'ENV-2': "SCRIPT_NAME is '' or starts with '/' and does not end with '/'",
  'ENV-3': "PATH_INFO is '' or starts with '/'; percent-decoded as UTF-8 (invalid UTF-8: 400); RAW_URI keeps the target as sent",
  'ENV-4': "QUERY_STRING is the raw query after '?', not decoded; '' when there is none",
  'ENV-5': 'CONTENT_TYPE is present exactly when the request had a Content-Type header',
  'ENV-6': 'CONTENT_LENGTH is present exactly when the request declared one, as decimal digits',
  'ENV-7': 'SERVER_NAME and SERVER_PORT are non-empty strings',
  'ENV-8': "SERVER_PROTOCOL is 'HTTP/1.0' or 'HTTP/1.1' (or 'HTTP/2' from HTTP/2 servers)",
  'ENV-9': "HTTP_* keys: name upper-cased with '-' as '_'; repeated fields joined with ', ' (Cookie with '; '); names containing '_' are dropped; no HTTP_CONTENT_TYPE or HTTP_CONTENT_LENGTH",
  'ENV-10': 'REMOTE_ADDR is the peer address of the connection',
  'ENV-11': 'tsgi.version is [1, 0]',
  'ENV-12': "tsgi.url_scheme is 'http' or 'https'",
  'ENV-13': 'tsgi.input is an InputStream (read, readLine, async iteration)',
  'ENV-14': 'tsgi.errors has write(string) and flush()',
  'ENV-15': 'tsgi.multithread, tsgi.multiprocess and tsgi.run_once are booleans',
  'ENV-16': 'tsgi.input_terminated is true: the server ends tsgi.input at the end of the body',
  'ENV-17': 'every CGI key (upper-case name) holds a string',
  'ENV-18': 'keys a server, middleware or framework adds carry a dotted prefix (tsgi., mw., fw.)',

  'INPUT-1': 'read(size) resolves a Uint8Array of at most size bytes; an empty one at end of body',
  'INPUT-2': 'the stream ends at Content-Length or at the end of the chunked body; reading past it never blocks',
  'INPUT-3': 'the server reads from the socket only as the app consumes tsgi.input (backpressure)',
  'INPUT-4': 'readLine(limit) resolves up to and including the next LF, or limit bytes',
  'INPUT-5': 'a body cut short by the client (connection closed before Content-Length or the last chunk) makes read() reject; it never ends as if complete',

  'RESP-1': "status is 'NNN Reason': three digits 200..599 (or 1xx only via extensions), one space, a reason without CR/LF",
  'RESP-2': 'headers is an array of [name, value] pairs of strings',
  'RESP-3': 'header names are RFC 9110 tokens; values contain no CR, LF or NUL (header injection)',
  'RESP-4': 'apps send no hop-by-hop headers (Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade)',
  'RESP-5': 'startResponse is called once; again only with excInfo, which replaces the headers before they are sent and is rethrown after',
  'RESP-6': 'headers go out with the first non-empty chunk (or at the end of an empty body), never earlier',
  'RESP-7': 'every chunk is a Uint8Array; strings are an error',
  'RESP-8': 'with Content-Length set, the body has exactly that many bytes; the server sends no more, and closes the connection if there were fewer',
  'RESP-9': 'write(chunk) is only called after startResponse and before the body ends, with Uint8Array chunks',
  'RESP-10': '1xx, 204 and 304 responses have no body',

  'SRV-1': 'framing: Content-Length when the app set it or the body is an array; chunked on HTTP/1.1 otherwise; close-delimited on HTTP/1.0',
  'SRV-2': 'HEAD: headers as for GET (Content-Length kept), no body bytes, close() still called',
  'SRV-3': "Expect: 100-continue: '100 Continue' is sent when the app first reads tsgi.input, never if it answers without reading",
  'SRV-4': 'malformed requests are refused before any app runs: 400, 413, 414, 431, 501; the server stays up',
  'SRV-5': 'an app error before headers are sent becomes a 500 and a log line; after, the connection is cut so the client sees an incomplete response',
  'SRV-6': 'request smuggling shapes (Content-Length with Transfer-Encoding, differing or repeated Content-Length, bad chunk framing) are refused with 400 and the connection closed',
  'SRV-7': 'HTTP/1.1 connections persist unless either side says close; HTTP/1.0 only with keep-alive; the rest of an unread body is drained or the connection closed',
  'SRV-8': 'an app that breaks a rule gets a 500 (if nothing was sent) and one log line naming the rule id',
} as const;

export type RuleId = keyof typeof RULES;

/** One log line naming the broken rule: `TSGI RESP-3 violated: <what was seen>` (rule text after a dash). */
export function describeViolation(rule: RuleId, seen: string): string {
  return `TSGI ${rule} violated: ${seen} — ${RULES[rule]}`;
}
