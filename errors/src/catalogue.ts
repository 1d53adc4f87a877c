import { format } from 'node:util';

/**
 * One entry of a package's error catalogue (fastify's `createError(code,
 * message, statusCode)` as data). `text` is the message template: `%s`, `%d`,
 * `%i`, `%f`, `%j`, `%o`, `%O` are filled in order by node:util `format`, as
 * @fastify/error does; a text without placeholders takes one optional detail,
 * appended as `text: detail`.
 */
export interface ErrorEntry {
  readonly text: string;
  /** The HTTP status when the error reaches a client; absent for errors that never do (config, CLI, boot). */
  readonly status?: number | undefined;
}

/** A package's catalogue: stable code → entry. Entries may carry more fields of their own (http1's `close`, `area`). */
export type ErrorCatalogue = Readonly<Record<string, ErrorEntry>>;

/** The codes of a catalogue, as the union of its keys: an uncatalogued code is a compile error. */
export type CodeOf<C extends ErrorCatalogue> = Extract<keyof C, string>;

/** The arguments a text template takes: one per placeholder, or one optional detail when it has none. */
export type TextArgs<T extends string> = string extends T ? unknown[] : Placeholders<T> extends [] ? [detail?: string] : Placeholders<T>;

type Placeholders<T extends string> = T extends `${string}%${infer Spec}${infer Rest}`
  ? Spec extends 's' | 'j' | 'o' | 'O'
    ? [unknown, ...Placeholders<Rest>]
    : Spec extends 'd' | 'i' | 'f'
      ? [number | bigint, ...Placeholders<Rest>]
      : Placeholders<Rest>
  : [];

/** What `new SomeError(code, ...args)` takes for `code`: its text's arguments, then optionally `{ cause }`. */
export type ErrorArgs<C extends ErrorCatalogue, K extends CodeOf<C>> = [...TextArgs<C[K]['text']>, options?: ErrorOptions];

/** A code is `<PREFIX>_ERR_<WHAT>`, upper case (H1_ERR_BAD_HOST, GW_ERR_BODY_TOO_LARGE, ...). */
export const CODE_PATTERN = /^[A-Z][A-Z0-9]*_ERR_[A-Z0-9_]*[A-Z0-9]$/;

/** Status codes an error may carry: the HTTP range, nginx's 499 (client closed) included. */
export function isValidStatus(status: unknown): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599;
}

/**
 * Declares a package's catalogue. Checked once, when the package loads: a code
 * not shaped `<PREFIX>_ERR_<WHAT>`, an entry without text, or a status
 * outside 100–599 throws, so a broken catalogue cannot ship. `const` keeps the
 * literal codes and texts, from which the code union and argument types come.
 */
export function defineErrors<const C extends ErrorCatalogue>(catalogue: C): C {
  for (const [code, entry] of Object.entries(catalogue)) {
    if (!CODE_PATTERN.test(code)) throw new TypeError(`error catalogue: code ${JSON.stringify(code)} is not <PREFIX>_ERR_<WHAT>`);
    if (typeof entry.text !== 'string' || entry.text === '') throw new TypeError(`error catalogue: ${code} has no text`);
    if (entry.status !== undefined && !isValidStatus(entry.status)) throw new TypeError(`error catalogue: ${code} has status ${String(entry.status)}, not an HTTP status`);
    Object.freeze(entry);
  }
  return Object.freeze(catalogue);
}

const PLACEHOLDER = /%[sdifjoO%]/g;

/** How many arguments a text takes (placeholders, or 1 for the optional detail of a text without any). */
export function arityOf(text: string): number {
  let count = 0;
  for (const match of text.matchAll(PLACEHOLDER)) if (match[0] !== '%%') count++;
  return count === 0 ? 1 : count;
}

/** The message of an entry for the given arguments, and the `{ cause }` options that may follow them. */
export function formatEntry(entry: ErrorEntry, args: readonly unknown[]): { message: string; options: ErrorOptions | undefined } {
  const arity = arityOf(entry.text);
  const options = args.length > arity ? (args[arity] as ErrorOptions | undefined) : undefined;
  const values = args.slice(0, arity);
  if (!/%[sdifjoO]/.test(entry.text)) {
    const detail = values[0];
    return { message: detail === undefined || detail === '' ? entry.text : `${entry.text}: ${String(detail)}`, options };
  }
  return { message: format(entry.text, ...values), options };
}
