import { createHash } from 'node:crypto';
import type { UpstreamConfig } from '../config/config.js';

export type StickyConfig = NonNullable<UpstreamConfig['sticky']>;

/**
 * The cookie value naming an endpoint: a digest of the upstream's name and
 * the endpoint's address, so every proxy worker and every proxy instance
 * with the same config computes the same value without shared state (and
 * the backend address is not shown to clients).
 */
export function stickyValue(upstream: string, endpointId: string): string {
  return createHash('sha256').update(`${upstream}\0${endpointId}`).digest('base64url').slice(0, 16);
}

/** The `set-cookie` header line (with CRLF) that pins the client to the endpoint named by `value`. */
export function stickyCookieLine(config: StickyConfig, value: string): string {
  let line = `set-cookie: ${config.cookie}=${value}; Path=${config.path}`;
  if (config.maxAge !== undefined) line += `; Max-Age=${Math.floor(config.maxAge / 1000)}`;
  if (config.httpOnly) line += '; HttpOnly';
  if (config.secure) line += '; Secure';
  if (config.sameSite !== undefined) line += `; SameSite=${config.sameSite}`;
  return `${line}\r\n`;
}

/** The value of cookie `name` in the request's Cookie fields (lower-cased names, values in parallel), or null. */
export function cookieValue(lower: readonly string[], values: readonly string[], name: string): string | null {
  for (let i = 0; i < lower.length; i++) {
    if (lower[i] !== 'cookie') continue;
    for (const part of values[i]!.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return null;
}
