import { STATUS_CODES } from 'node:http';

/**
 * The one reason-phrase table of both tiers: Node's, with RFC 9110's names
 * where they changed (413, 422), so every status line and error body says the same.
 */
const PHRASES: ReadonlyMap<number, string> = new Map(
  Object.entries({ ...STATUS_CODES, 413: 'Content Too Large', 422: 'Unprocessable Content' }).map(
    ([code, phrase]) => [Number(code), phrase ?? 'Unknown'] as const,
  ),
);

/** The reason phrase for a status code: `'Not Found'` for 404, `'Unknown'` for a code without one. */
export function reasonPhrase(status: number): string {
  return PHRASES.get(status) ?? 'Unknown';
}

const statusLines = new Map<number, string>();

/** The status as `'404 Not Found'`, cached per code so a hot path builds no strings. */
export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${reasonPhrase(status)}`;
    if (status >= 100 && status <= 999) statusLines.set(status, line);
  }
  return line;
}
