import { describeValue } from './response-headers.js';

/** A promise or any other thenable an app returned (duck-typed, as `await` does). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** What an app threw, for a log line: the stack of an Error, else a description of the value. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `non-Error thrown: ${describeValue(err)}`;
}
