import type { HeadLimits } from '@tsgi/http1';
import type { ProxyConfig } from './config.js';

const cache = new WeakMap<ProxyConfig['limits'], HeadLimits>();

/** The client-side head limits of a config in the wire parser's shape (one object per config). */
export function headLimitsOf(limits: ProxyConfig['limits']): HeadLimits {
  let h = cache.get(limits);
  if (h === undefined) {
    h = Object.freeze({ requestLine: limits.maxRequestLine, fieldLine: limits.maxFieldBytes, fields: limits.maxHeaders, headBytes: limits.maxHeaderBytes });
    cache.set(limits, h);
  }
  return h;
}

const responseCache = new WeakMap<ProxyConfig['limits'], HeadLimits>();

/** Limits for an upstream's chunked trailers: the response head's byte limit, no field count of their own. */
export function responseTrailerLimitsOf(limits: ProxyConfig['limits']): HeadLimits {
  let h = responseCache.get(limits);
  if (h === undefined) {
    const bytes = limits.maxResponseHeaderBytes;
    h = Object.freeze({ requestLine: bytes, fieldLine: bytes, fields: Number.POSITIVE_INFINITY, headBytes: bytes });
    responseCache.set(limits, h);
  }
  return h;
}
