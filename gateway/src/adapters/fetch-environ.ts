import type { Environ, ErrorStream } from '../types.js';
import { TSGI_VERSION } from '../types.js';
import { decodePath } from '../server/path-decode.js';
import { inputFromStream } from './fetch-body.js';

/** Options of toFetch that fill in what a Request does not carry. */
export interface ToFetchOptions {
  /** REMOTE_ADDR, e.g. from the runtime's connection info; default ''. */
  remoteAddress?: string | ((request: Request) => string);
  /** SCRIPT_NAME: the prefix the app is mounted under (no trailing slash); default ''. */
  scriptName?: string;
  /** tsgi.errors; default: a sink writing to stderr. */
  errors?: ErrorStream;
  /** tsgi.multiprocess; default false. */
  multiprocess?: boolean;
}

const STDERR: ErrorStream = {
  write: (message) => void process.stderr.write(message),
  flush: () => undefined,
};

/**
 * The environ for a Request (ENV-1..ENV-18), or null when the path does not
 * decode as UTF-8 (ENV-3: answered 400). Repeated fields arrive joined by the
 * Headers class with ', '; Cookie is rejoined with '; ' (cookie-octets hold no
 * comma, so the split is exact).
 */
export function environFromRequest(request: Request, url: URL, options: ToFetchOptions): Environ | null {
  let pathInfo = decodePath(url.pathname);
  if (pathInfo === null) return null;
  const scriptName = options.scriptName ?? '';
  if (scriptName !== '') {
    if (pathInfo !== scriptName && !pathInfo.startsWith(`${scriptName}/`)) return null;
    pathInfo = pathInfo.slice(scriptName.length);
  }
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const remote = options.remoteAddress;
  const environ: Environ = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: scriptName,
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.slice(1),
    SERVER_NAME: url.hostname,
    SERVER_PORT: url.port !== '' ? url.port : scheme === 'https' ? '443' : '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: typeof remote === 'function' ? remote(request) : (remote ?? ''),
    RAW_URI: url.pathname + url.search,
    'tsgi.version': TSGI_VERSION,
    'tsgi.url_scheme': scheme,
    'tsgi.input': inputFromStream(request.body),
    'tsgi.errors': options.errors ?? STDERR,
    'tsgi.multithread': false,
    'tsgi.multiprocess': options.multiprocess ?? false,
    'tsgi.run_once': false,
    'tsgi.input_terminated': true,
  };
  request.headers.forEach((value, name) => {
    if (name === 'content-type') environ.CONTENT_TYPE = value;
    else if (name === 'content-length') environ.CONTENT_LENGTH = value;
    else if (!name.includes('_')) {
      const key = `HTTP_${name.toUpperCase().replace(/-/g, '_')}` as const;
      environ[key] = name === 'cookie' ? value.replace(/, /g, '; ') : value;
    }
  });
  if (environ.HTTP_HOST === undefined) environ.HTTP_HOST = url.host;
  return environ;
}
