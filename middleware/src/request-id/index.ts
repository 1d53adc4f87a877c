import { randomUUID } from 'node:crypto';
import type { App, Environ } from '@tsgi/gateway';
import { InvalidOptionError, MiddlewareError } from '../errors.js';
import { checkKnown, readBoolean, readInteger, readString, TOKEN } from '../shared/options.js';
import { joinHeaders, lowerName } from '../shared/headers.js';
import { mapHeaders } from '../shared/respond.js';

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  /** Request and response header. Default `'X-Request-Id'`. */
  header?: string;
  /** Keep a well-formed incoming id (set by a proxy in front). Default true. */
  trustIncoming?: boolean;
  /** Longest incoming id accepted (1..1024). Default 128. Generated ids may be up to 1024. */
  maxLength?: number;
  /** Makes a new id. Default `crypto.randomUUID`. Its result must match the same charset as incoming ids. */
  generator?: (environ: Environ) => string;
  /** Echo the id as a response header (unless the app set that header). Default true. */
  setResponseHeader?: boolean;
}

/** The environ key holding the id (ENV-18); appserver access logs read it from here. */
export const REQUEST_ID_KEY = 'tsgi.request_id';

const MW = 'requestId';

/**
 * Gives every request an id: a valid incoming `X-Request-Id` (1..maxLength
 * characters of `A-Z a-z 0-9 - _ . : @ + = /`) is kept, anything else is
 * replaced by a fresh one. The id is stored as `environ['tsgi.request_id']`
 * and echoed in the response.
 */
export function requestId(app: App, options: RequestIdOptions = {}): App {
  checkKnown(MW, options, ['header', 'trustIncoming', 'maxLength', 'generator', 'setResponseHeader']);
  const header = readString(MW, 'header', options.header, 'X-Request-Id');
  if (!TOKEN.test(header) || header.includes('_')) throw new InvalidOptionError(MW, 'header', 'must be a header name without "_"', header);
  const trust = readBoolean(MW, 'trustIncoming', options.trustIncoming, true);
  const maxLength = readInteger(MW, 'maxLength', options.maxLength, 128, 1, 1024);
  const generate = options.generator ?? randomUUID;
  if (typeof generate !== 'function') throw new InvalidOptionError(MW, 'generator', 'must be a function', generate);
  const echo = readBoolean(MW, 'setResponseHeader', options.setResponseHeader, true);
  const valid = new RegExp(`^[A-Za-z0-9._:@+=/-]{1,${maxLength}}$`);
  // Generated ids only need to be safe in a header; maxLength bounds what clients send.
  const safe = /^[A-Za-z0-9._:@+=/-]{1,1024}$/;
  const environKey = `HTTP_${header.toUpperCase().replace(/-/g, '_')}` as const;
  const lower = header.toLowerCase();

  return function requestIdApp(environ, startResponse) {
    const incoming = trust ? environ[environKey as `HTTP_${string}`] : undefined;
    let id: string;
    if (incoming !== undefined && valid.test(incoming)) id = incoming;
    else {
      id = generate === randomUUID ? randomUUID() : (generate as (e: Environ) => string)(environ);
      if (typeof id !== 'string' || !safe.test(id)) {
        throw new MiddlewareError('MW_ERR_REQUEST_ID_GENERATOR', MW, id);
      }
    }
    environ[REQUEST_ID_KEY] = id;
    if (!echo) return app(environ, startResponse);
    return app(
      environ,
      mapHeaders(startResponse, (_s, headers) => {
        for (const h of headers) if (h[0].length === lower.length && lowerName(h[0]) === lower) return headers;
        return joinHeaders(headers, [[header, id]]);
      }),
    );
  };
}
