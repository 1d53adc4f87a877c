import type { App, Environ, ResponseHeaders } from '@tsgi/gateway';
import { InvalidOptionError, MiddlewareError } from '../errors.js';
import { addVary, joinHeaders, lowerName } from '../shared/headers.js';
import { checkKnown, readBoolean, readInteger, readStringList, TOKEN } from '../shared/options.js';
import { mapHeaders, respond } from '../shared/respond.js';

/** Which origins may read responses. */
export type CorsOrigin = '*' | true | string | string[] | RegExp | ((origin: string, environ: Environ) => boolean);

/** Options of {@link cors}. */
export interface CorsOptions {
  /**
   * `'*'` (default): any origin, answered with `*`. `true`: any origin,
   * reflected. A string, list or RegExp (tested against the whole Origin
   * value), or a predicate: only those, reflected, with `Vary: Origin`.
   */
  origin?: CorsOrigin;
  /** Allowed methods for preflights. Default GET, HEAD, PUT, PATCH, POST, DELETE. */
  methods?: string[];
  /** Allowed request headers; default: whatever the preflight asks for (reflected). */
  allowedHeaders?: string[];
  /** Response headers scripts may read (Access-Control-Expose-Headers). */
  exposedHeaders?: string[];
  /** Access-Control-Allow-Credentials: true. Not allowed with `origin: '*'` (browsers reject it). */
  credentials?: boolean;
  /** Preflight cache lifetime in seconds (Access-Control-Max-Age). Default: not sent. */
  maxAge?: number;
}

const MW = 'cors';

/**
 * CORS, as the `cors` package does it. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered here with 204 and never reaches
 * the app. Other requests reach the app and get Access-Control-Allow-Origin
 * (and credentials / exposed headers) added when the origin is allowed.
 * A disallowed origin gets no CORS headers at all. Whenever the answer
 * depends on Origin, `Vary: Origin` is added so caches keep them apart.
 */
export function cors(app: App, options: CorsOptions = {}): App {
  checkKnown(MW, options, ['origin', 'methods', 'allowedHeaders', 'exposedHeaders', 'credentials', 'maxAge']);
  const origin = options.origin ?? '*';
  const credentials = readBoolean(MW, 'credentials', options.credentials, false);
  if (origin === '*' && credentials) {
    throw new MiddlewareError('MW_ERR_CORS_WILDCARD_CREDENTIALS', MW);
  }
  const methods = readStringList(MW, 'methods', options.methods, ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']);
  const tokens = (name: string, list: string[]) => {
    for (const t of list) if (!TOKEN.test(t)) throw new InvalidOptionError(MW, name, 'must hold tokens', t);
    return list.join(', ');
  };
  const methodsValue = tokens('methods', methods);
  const allowedHeaders = options.allowedHeaders === undefined ? undefined : tokens('allowedHeaders', readStringList(MW, 'allowedHeaders', options.allowedHeaders, []));
  const exposed = options.exposedHeaders === undefined ? undefined : tokens('exposedHeaders', readStringList(MW, 'exposedHeaders', options.exposedHeaders, []));
  const maxAge = options.maxAge === undefined ? undefined : String(readInteger(MW, 'maxAge', options.maxAge, 0));

  let allow: (o: string, environ: Environ) => boolean;
  const wildcard = origin === '*';
  if (origin === '*' || origin === true) allow = () => true;
  else if (typeof origin === 'string') allow = (o) => o === origin;
  else if (Array.isArray(origin)) {
    const set = new Set(readStringList(MW, 'origin', origin, []));
    allow = (o) => set.has(o);
  } else if (origin instanceof RegExp) {
    // A copy without g/y so lastIndex state never leaks between requests.
    const re = new RegExp(origin.source, origin.flags.replace(/[gy]/g, ''));
    allow = (o) => re.test(o);
  } else if (typeof origin === 'function') allow = origin;
  else throw new InvalidOptionError(MW, 'origin', "must be '*', true, a string, an array, a RegExp or a function", origin);

  // Headers shared by every allowed answer, built once.
  const common: ResponseHeaders = [];
  if (credentials) common.push(['Access-Control-Allow-Credentials', 'true']);
  const actualExtra: ResponseHeaders = exposed ? [...common, ['Access-Control-Expose-Headers', exposed]] : common;
  const preflightExtra: ResponseHeaders = [...common, ['Access-Control-Allow-Methods', methodsValue]];
  if (allowedHeaders !== undefined) preflightExtra.push(['Access-Control-Allow-Headers', allowedHeaders]);
  if (maxAge !== undefined) preflightExtra.push(['Access-Control-Max-Age', maxAge]);

  return function corsApp(environ, startResponse) {
    const requestOrigin = environ.HTTP_ORIGIN;
    const allowed = requestOrigin !== undefined && allow(requestOrigin, environ);
    const originValue = wildcard ? '*' : (requestOrigin as string);

    if (environ.REQUEST_METHOD === 'OPTIONS' && requestOrigin !== undefined && environ.HTTP_ACCESS_CONTROL_REQUEST_METHOD !== undefined) {
      const headers: ResponseHeaders = [];
      const vary = wildcard ? [] : ['Origin'];
      if (allowed) {
        headers.push(['Access-Control-Allow-Origin', originValue], ...preflightExtra);
        if (allowedHeaders === undefined) {
          const asked = environ.HTTP_ACCESS_CONTROL_REQUEST_HEADERS;
          vary.push('Access-Control-Request-Headers');
          if (asked !== undefined && asked.split(',').every((h) => TOKEN.test(h.trim()))) headers.push(['Access-Control-Allow-Headers', asked]);
        }
      }
      if (vary.length > 0) headers.push(['Vary', vary.join(', ')]);
      return respond(startResponse, 204, headers);
    }

    if (!allowed) {
      return wildcard ? app(environ, startResponse) : app(environ, mapHeaders(startResponse, (_s, h) => addVary(h, 'Origin')));
    }
    return app(
      environ,
      mapHeaders(startResponse, (_s, h) => {
        for (const [name] of h) if (name.length === 27 && lowerName(name) === 'access-control-allow-origin') return wildcard ? h : addVary(h, 'Origin');
        const out = joinHeaders(h, [['Access-Control-Allow-Origin', originValue], ...actualExtra]);
        return wildcard ? out : addVary(out, 'Origin');
      }),
    );
  };
}
