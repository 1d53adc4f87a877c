import { messageOf } from '@tsgi/errors';
import { PX_ERRORS, ProxyError, type ProxyErrorCode } from './errors.js';
import { toProxyError } from './wire.js';

/**
 * What a caught value amounts to: its catalogued ProxyError, code and status.
 * Shared by the codecs, the exchange and the worker, so each reads an error
 * one way (its detail is the ProxyError's `detail` field; messages and errno
 * codes of other values come from @tsgi/errors' messageOf and errorCode).
 */

export function isProxyErrorCode(code: string): code is ProxyErrorCode {
  return Object.hasOwn(PX_ERRORS, code);
}

/** Any thrown value as a catalogued ProxyError (wire errors mapped, anything else a 400). */
export function asProxyError(err: unknown): ProxyError {
  const e = toProxyError(err);
  if (e instanceof ProxyError) return e;
  return new ProxyError('PX_ERR_BAD_REQUEST', messageOf(e));
}

export function codeOf(err: ProxyError): ProxyErrorCode {
  return isProxyErrorCode(err.code) ? err.code : 'PX_ERR_BAD_REQUEST';
}

export function errorStatusOf(code: ProxyErrorCode): number | undefined {
  return PX_ERRORS[code].status;
}
