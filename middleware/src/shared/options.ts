import { InvalidOptionError, UnknownOptionError } from '../errors.js';

/**
 * Small option readers shared by every middleware: each checks one value at
 * construction time and throws one error naming the middleware and option.
 * Nothing here runs per request.
 */

/** Throws on an option name outside `known` (typos such as `maxage` must not pass silently). */
export function checkKnown(mw: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError(mw, 'options', 'must be an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new UnknownOptionError(mw, key, known);
  }
}

export function readBoolean(mw: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(mw, name, 'must be a boolean', value);
  return value;
}

export function readInteger(
  mw: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new InvalidOptionError(mw, name, `must be an integer ${range}`, value);
  }
  return value;
}

export function readString(mw: string, name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new InvalidOptionError(mw, name, 'must be a string', value);
  return value;
}

export function readEnum<T extends string | number>(
  mw: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(mw, name, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

export function readStringList(mw: string, name: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new InvalidOptionError(mw, name, 'must be a string or an array of strings', value);
  }
  return [...(value as string[])];
}

/** An RFC 9110 token (header names, methods, codings): @tsgi/http1's one definition. */
export { TOKEN_RE as TOKEN } from '@tsgi/http1';

/** A header value we will emit: visible ASCII, spaces and tabs only (no CR, LF or NUL: RESP-3). */
export const SAFE_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function readHeaderValue(mw: string, name: string, value: unknown, fallback: string): string {
  const v = readString(mw, name, value, fallback);
  if (!SAFE_HEADER_VALUE.test(v)) throw new InvalidOptionError(mw, name, 'must not contain control characters', v);
  return v;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof RegExp)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
