import type { App } from '@tsgi/gateway';
import { InvalidOptionError, MiddlewareError } from '../errors.js';
import { respondText } from '../shared/respond.js';

const MW = 'dispatcher';
// eslint-disable-next-line no-control-regex -- a mount prefix may not hold controls
const PREFIX = /^(?:\/[^/\\\u0000-\u001f?#]+)+$/;

/** The fallback when no mount matches and none was given: a plain 404. */
const notFound: App = (_environ, startResponse) => respondText(startResponse, 404);

/**
 * Werkzeug's DispatcherMiddleware: routes each request to the app mounted
 * at the longest prefix of PATH_INFO that ends on a segment boundary
 * (`/api` matches `/api` and `/api/x`, never `/apix`), moving that prefix
 * from PATH_INFO to SCRIPT_NAME, so the mounted app sees paths relative to
 * its mount point and builds URLs with SCRIPT_NAME. Unmatched requests go to
 * `fallback` unchanged (default: 404).
 *
 * Matching walks PATH_INFO's own prefixes from the longest down, with one
 * Map lookup each: cost grows with the path's depth, not the mount count.
 */
export function dispatcher(mounts: Record<string, App>, fallback: App = notFound): App {
  if (mounts === null || typeof mounts !== 'object') throw new InvalidOptionError(MW, 'mounts', 'must be an object of prefix → app', mounts);
  if (typeof fallback !== 'function') throw new InvalidOptionError(MW, 'fallback', 'must be an app (a function)', fallback);
  const table = new Map<string, App>();
  for (const [prefix, app] of Object.entries(mounts)) {
    if (!PREFIX.test(prefix)) {
      throw new MiddlewareError('MW_ERR_DISPATCH_PREFIX', MW, prefix);
    }
    if (typeof app !== 'function') throw new InvalidOptionError(MW, `mounts[${JSON.stringify(prefix)}]`, 'must be an app (a function)', app);
    table.set(prefix, app);
  }

  return function dispatcherApp(environ, startResponse) {
    const path = environ.PATH_INFO;
    let cut = path.length;
    while (cut > 0) {
      const app = table.get(cut === path.length ? path : path.slice(0, cut));
      if (app !== undefined) {
        environ.SCRIPT_NAME = environ.SCRIPT_NAME + path.slice(0, cut);
        environ.PATH_INFO = path.slice(cut);
        return app(environ, startResponse);
      }
      cut = path.lastIndexOf('/', cut - 1);
    }
    return fallback(environ, startResponse);
  };
}
