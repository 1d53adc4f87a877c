import { HeaderList, type HeadersInit } from './headers.js';
import { Response } from './response.js';

/** Settings of the JSON provider (Flask's `app.json` attributes). */
export interface JsonOptions {
  /** Sort object keys, recursively (Flask default true). */
  sortKeys?: boolean;
  /** Escape every non-ASCII character as `\uXXXX` (Flask default true). */
  ensureAscii?: boolean;
  /** Compact separators; undefined means "compact unless the app is in debug mode" (Flask's None). */
  compact?: boolean;
  /** Content-Type of JSON responses. */
  mimetype?: string;
}

const NON_ASCII = /[\u007f-\uffff]/g;


function escapeNonAscii(text: string): string {
  return text.replace(NON_ASCII, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function encodeNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return JSON.stringify(value);
}

type RawJson = (text: string) => unknown;
// JSON.rawJSON (Node 21+) writes bigints exactly inside JSON.stringify.
const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;

/** NaN and Infinity are not JSON; Python writes them bare, so the slow encoder takes over. */
const NOT_JSON_NUMBER = new Error('NaN or Infinity');

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** The value with keys sorted, dates as HTTP dates, bigints raw; the same object when nothing changes. */
function normalise(value: unknown, key: string, sortKeys: boolean): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw NOT_JSON_NUMBER;
    return value;
  }
  if (typeof value === 'bigint') return rawJSON ? rawJSON(value.toString()) : Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toUTCString();
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return normalise((value as { toJSON(key: string): unknown }).toJSON(key), key, sortKeys);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = normalise(value[i], String(i), sortKeys);
      if (item !== value[i] && copy === undefined) copy = value.slice(0, i);
      if (copy !== undefined) copy.push(item);
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const reorder = sortKeys && !isSorted(keys);
  if (reorder) keys.sort();
  let copy: Record<string, unknown> | undefined = reorder ? {} : undefined;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    const item = normalise(record[name], name, sortKeys);
    if (copy === undefined && item !== record[name]) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = record[keys[j]!];
    }
    if (copy !== undefined) copy[name] = item;
  }
  return copy ?? value;
}

/** One value in Python's json.dumps layout; undefined for what JSON leaves out (undefined, functions, symbols). */
function encode(input: unknown, key: string, indent: string | undefined, level: string, separators: [string, string], sortKeys: boolean): string | undefined {
  let value = input;
  if (value instanceof Date) return JSON.stringify(value.toUTCString());
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') value = (value as { toJSON(key: string): unknown }).toJSON(key);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const inner = indent === undefined ? '' : level + indent;
  const open = indent === undefined ? '' : `\n${inner}`;
  const close = indent === undefined ? '' : `\n${level}`;
  const between = indent === undefined ? separators[0] : `${separators[0]}\n${inner}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item, i) => encode(item, String(i), indent, inner, separators, sortKeys) ?? 'null');
    return `[${open}${items.join(between)}${close}]`;
  }
  const record = value as Record<string, unknown>;
  const names = Object.keys(record);
  if (sortKeys) names.sort();
  const items: string[] = [];
  for (const name of names) {
    const encoded = encode(record[name], name, indent, inner, separators, sortKeys);
    if (encoded !== undefined) items.push(`${JSON.stringify(name)}${separators[1]}${encoded}`);
  }
  return items.length === 0 ? '{}' : `{${open}${items.join(between)}${close}}`;
}

/**
 * Flask's DefaultJSONProvider: keys sorted, non-ASCII escaped, dates as HTTP
 * dates, compact separators (indented in debug), and a trailing newline on
 * responses. Change it per app: `app.json.sortKeys = false`, or
 * `new App({ json: { ensureAscii: false } })`.
 */
export class JsonProvider {
  sortKeys: boolean;
  ensureAscii: boolean;
  compact: boolean | undefined;
  mimetype: string;
  private readonly debug: () => boolean;

  constructor(options: JsonOptions = {}, debug: () => boolean = () => false) {
    this.sortKeys = options.sortKeys ?? true;
    this.ensureAscii = options.ensureAscii ?? true;
    this.compact = options.compact;
    this.mimetype = options.mimetype ?? 'application/json';
    this.debug = debug;
  }

  /**
   * Serialises a value as Flask's `app.json.dumps` (Python's json.dumps with this
   * provider's settings): `", "` and `": "` between items unless `compact`, dates as
   * HTTP dates, bigints exact, NaN/Infinity written as Python writes them.
   */
  dumps(value: unknown, options: { indent?: number; compact?: boolean } = {}): string {
    if (options.compact && options.indent === undefined) {
      // The hot path (JSON responses): V8's JSON.stringify over a copy only where keys need sorting
      // or values need Python's spelling; a value already in order is not copied at all.
      let text: string | undefined;
      try {
        text = JSON.stringify(normalise(value, '', this.sortKeys));
      } catch (error) {
        if (error !== NOT_JSON_NUMBER) throw error;
        text = encode(value, '', undefined, '', [',', ':'], this.sortKeys);
      }
      if (text === undefined) throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
      return this.ensureAscii ? escapeNonAscii(text) : text;
    }
    const indent = options.indent === undefined ? undefined : ' '.repeat(options.indent);
    const separators: [string, string] = options.compact ? [',', ':'] : indent === undefined ? [', ', ': '] : [',', ': '];
    const text = encode(value, '', indent, '', separators, this.sortKeys);
    if (text === undefined) throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
    return this.ensureAscii ? escapeNonAscii(text) : text;
  }

  loads<T = unknown>(text: string): T {
    return JSON.parse(text) as T;
  }

  /** A JSON response (Flask's `jsonify`), indented when not compact, with Flask's trailing newline. */
  response(data: unknown, status = 200, headers?: HeadersInit): Response {
    return new Response(this.responseText(data), { status, headers: headers === undefined ? undefined : new HeaderList(headers), contentType: this.mimetype });
  }

  /** The body `response()` sends. */
  responseText(data: unknown): string {
    const compact = this.compact ?? !this.debug();
    return `${this.dumps(data, compact ? { compact: true } : { indent: 2 })}\n`;
  }
}

/** The provider with Flask's defaults, for code outside an app (`json()` helper). */
export const defaultJson = new JsonProvider();

/** A JSON response with Flask's default settings (sorted keys, ASCII, compact, trailing newline); `app.json.response()` uses the app's. */
export function json(data: unknown, status = 200, headers?: HeadersInit): Response {
  return defaultJson.response(data, status, headers);
}
