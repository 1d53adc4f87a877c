/**
 * Narrowing for what a `catch` or an `error` event hands over (`unknown`):
 * one place instead of `(err as Error).message` casts, which lie when the
 * value thrown is not an Error.
 */

/** The message of anything thrown: an Error's `message`, else the value as a string. */
export function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}

/** The string `code` of an error (`ENOENT`, `EADDRINUSE`, `ERR_SSL_…`), else undefined. */
export function errorCode(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || !('code' in value)) return undefined;
  return typeof value.code === 'string' ? value.code : undefined;
}

/** A Node system error: an Error with a string `code`. */
export function isErrnoException(value: unknown): value is NodeJS.ErrnoException {
  return value instanceof Error && errorCode(value) !== undefined;
}

/** Anything thrown as an Error: itself, or an Error with its text and the value as `cause`. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(messageOf(value), { cause: value });
}
