/** One hostile request of the campaign. */
export interface HostileCase {
  id: string;
  name: string;
  /** Raw bytes sent on a fresh connection. */
  payload: string | Buffer;
  /** Statuses that are right for it. */
  expect: number[];
  /** A connection closed with no response is also right (e.g. an HTTP/2 preface on an HTTP/1.1 port). */
  closeOk?: boolean;
  /** Path fragments that must never show up in the app's request log. */
  markers: string[];
  /** Only a COMPLETE line (the app got the whole body) counts as reaching the app. */
  completeOnly?: boolean;
  /** Narrower statuses the appserver (the gateway's server) must give, where `expect` also allows the proxy's. */
  appserverExpect?: number[];
}

const H = 'Host: 127.0.0.1\r\n';
const probe = (id: string): string => `/__probe/${id}`;
/**
 * Bad chunked framing is only seen once the body is read, after a streaming
 * server has called the app: these go to a route that reads its body, and the
 * check is that the app never gets a complete body (and the client a 400).
 */
const bodyProbe = (id: string): string => `/__faults/echo-length?probe=${id}`;

/** Builds the corpus; limits are the servers' configured ones (see faults/stack.ts). */
export function hostileCases(limits: { requestLine: number; headerBytes: number; fields: number; body: number }): HostileCase[] {
  const c = (id: string, name: string, payload: string | Buffer, expect: number[], extra: Partial<HostileCase> = {}): HostileCase => ({
    id,
    name,
    payload,
    expect,
    markers: [probe(id)],
    ...extra,
  });
  const complete = (id: string): Partial<HostileCase> => ({ markers: [`probe=${id}`], completeOnly: true });
  return [
    c('no-version', 'request line without a version', `GET ${probe('no-version')}\r\n${H}\r\n`, [400]),
    c('garbage-line', 'request line of garbage', `\x01\x02\x03 nonsense\r\n${H}\r\n`, [400]),
    c('bad-method', 'method with characters outside token', `G(ET ${probe('bad-method')} HTTP/1.1\r\n${H}\r\n`, [400]),
    c('bad-version', 'unknown HTTP version', `GET ${probe('bad-version')} HTTP/9.7\r\n${H}\r\n`, [400, 505]),
    c('bad-version-syntax', 'malformed HTTP version', `GET ${probe('bad-version-syntax')} HTTP/1.x\r\n${H}\r\n`, [400, 505]),
    c('long-uri', `request target longer than ${limits.requestLine} bytes`,
      `GET ${probe('long-uri')}?${'a'.repeat(limits.requestLine + 1024)} HTTP/1.1\r\n${H}\r\n`, [414]),
    c('long-header', `header line longer than ${limits.headerBytes} bytes`,
      `GET ${probe('long-header')} HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(limits.headerBytes + 1024)}\r\n\r\n`, [431]),
    c('many-headers', `more than ${limits.fields} header fields`,
      `GET ${probe('many-headers')} HTTP/1.1\r\n${H}${Array.from({ length: limits.fields + 20 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, [431]),
    c('big-body', `declared body over the ${limits.body}-byte limit`,
      `POST ${probe('big-body')} HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: ${limits.body * 4}\r\n\r\n${'x'.repeat(64)}`, [413]),
    c('nul-in-value', 'NUL byte in a header value', `GET ${probe('nul-in-value')} HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, [400]),
    c('cr-in-value', 'bare CR inside a header value', `GET ${probe('cr-in-value')} HTTP/1.1\r\n${H}X-A: a\rInjected: 1\r\n\r\n`, [400]),
    c('lf-injection', 'bare LF in a header value injecting a header', `GET ${probe('lf-injection')} HTTP/1.1\r\n${H}X-A: a\nX-Injected: 1\r\n\r\n`, [400]),
    c('obs-fold', 'obsolete line folding', `GET ${probe('obs-fold')} HTTP/1.1\r\n${H}X-A: a\r\n  folded\r\n\r\n`, [400]),
    c('bare-lf', 'bare LF line endings', `GET ${probe('bare-lf')} HTTP/1.1\nHost: 127.0.0.1\n\n`, [400]),
    c('space-in-name', 'space inside a header name', `GET ${probe('space-in-name')} HTTP/1.1\r\n${H}Bad Name: x\r\n\r\n`, [400]),
    c('space-before-colon', 'whitespace between header name and colon', `GET ${probe('space-before-colon')} HTTP/1.1\r\n${H}X-A : x\r\n\r\n`, [400]),
    c('bad-name-char', 'header name with a separator character', `GET ${probe('bad-name-char')} HTTP/1.1\r\n${H}X(A): x\r\n\r\n`, [400]),
    c('cl-and-te', 'Content-Length with Transfer-Encoding (smuggling shape)',
      `POST ${probe('cl-and-te')} HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, [400]),
    c('dup-cl', 'two different Content-Length values',
      `POST ${probe('dup-cl')} HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde`, [400]),
    c('dup-cl-same', 'Content-Length repeated with the same value',
      `POST ${probe('dup-cl-same')} HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, [400]),
    c('negative-cl', 'negative Content-Length', `POST ${probe('negative-cl')} HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, [400]),
    c('cl-list', 'Content-Length as a list', `POST ${probe('cl-list')} HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`, [400]),
    c('bad-chunk-size', 'non-hex chunk size',
      `POST ${bodyProbe('bad-chunk-size')} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, [400], complete('bad-chunk-size')),
    c('huge-chunk-size', 'chunk size overflowing 64 bits',
      `POST ${bodyProbe('huge-chunk-size')} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nhello\r\n0\r\n\r\n`, [400, 413], complete('huge-chunk-size')),
    c('bad-trailer-name', 'chunked trailer field with a space in its name',
      `POST ${bodyProbe('bad-trailer-name')} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX T: 1\r\n\r\n`, [400],
      complete('bad-trailer-name')),
    c('bad-chunk-ext', 'chunk extension with a control character',
      `POST ${bodyProbe('bad-chunk-ext')} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a\x01b\r\nhello\r\n0\r\n\r\n`, [400], complete('bad-chunk-ext')),
    c('unknown-te', 'unknown transfer coding', `POST ${probe('unknown-te')} HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, [400, 501],
      { appserverExpect: [501] }),
    c('gzip-te', 'Transfer-Encoding: gzip (a coding the server does not implement)',
      `POST ${probe('gzip-te')} HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, [400, 501], { appserverExpect: [501] }),
    c('te-not-last', 'chunked not the final transfer coding',
      `POST ${probe('te-not-last')} HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, [400, 501]),
    c('missing-host', 'HTTP/1.1 request without Host', `GET ${probe('missing-host')} HTTP/1.1\r\n\r\n`, [400]),
    c('two-hosts', 'two Host headers', `GET ${probe('two-hosts')} HTTP/1.1\r\n${H}Host: evil.example\r\n\r\n`, [400]),
    c('h2-preface', 'HTTP/2 connection preface on the HTTP/1.1 port', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400, 505], { closeOk: true, markers: [] }),
    {
      id: 'pipelined-smuggle',
      name: 'pipelined requests hiding a second request in a CL+TE body',
      payload:
        `POST ${probe('pipelined-smuggle')} HTTP/1.1\r\n${H}Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` +
        `GET ${probe('smuggled')} HTTP/1.1\r\n${H}\r\n`,
      expect: [400],
      markers: [probe('pipelined-smuggle'), probe('smuggled')],
    },
    {
      id: 'te-smuggle',
      name: 'chunked body whose terminator is followed by a smuggled request',
      payload:
        `POST ${probe('te-smuggle')} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n` +
        `GET ${probe('smuggled-2')} HTTP/1.1\r\n${H}\r\n`,
      expect: [400, 501],
      markers: [probe('te-smuggle'), probe('smuggled-2')],
    },
  ];
}
