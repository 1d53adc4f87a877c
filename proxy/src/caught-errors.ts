import { PX_ERRORS, ProxyError, type ProxyErrorCode } from './errors.js';
import { toProxyError } from './wire.js';

/**
 * What a caught value amounts to: its catalogued ProxyError, code, status
 * and detail, or a socket error's errno. Shared by the codecs, the exchange
 * and the worker, so each reads an error one way.
 */

export function isProxyErrorCode(code: string): code is ProxyErrorCode {
  return Object.hasOwn(PX_ERRORS, code);
}

/** Any thrown value as a catalogued ProxyError (wire errors mapped, anything else a 400). */
export function asProxyError(err: unknown): ProxyError {
  const e = toProxyError(err);
  if (e instanceof ProxyError) return e;
  return new ProxyError('PX_ERR_BAD_REQUEST', e instanceof Error ? e.message : String(e), 400);
}

export function codeOf(err: ProxyError): ProxyErrorCode {
  return isProxyErrorCode(err.code) ? err.code : 'PX_ERR_BAD_REQUEST';
}

export function errorStatusOf(code: ProxyErrorCode): number | undefined {
  return PX_ERRORS[code].status;
}

/** The part of a catalogued error's message after its fixed text. */
export function detailOf(err: Error, code: ProxyErrorCode): string {
  const text = PX_ERRORS[code].text;
  return err.message.startsWith(`${text}: `) ? err.message.slice(text.length + 2) : err.message === text ? '' : err.message;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A socket error's errno code (`ECONNREFUSED`), else `fallback`. */
export function errnoOf(err: Error | null, fallback: string): string {
  const code: unknown = err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : fallback;
}
