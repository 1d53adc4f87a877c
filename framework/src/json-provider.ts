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

type RawJson = (text: string) => unknown;
// JSON.rawJSON (Node 21+) lets bigints reach the output as exact numbers.
const rawJSON = (JSON as unknown as { rawJSON?: RawJson }).rawJSON;

function escapeNonAscii(text: string): string {
  return text.replace(NON_ASCII, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
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

  /** Serialises a value as Flask's `json.dumps` with this provider's settings. */
  dumps(value: unknown, options: { indent?: number } = {}): string {
    const sortKeys = this.sortKeys;
    const replacer = function (this: Record<string, unknown>, key: string, current: unknown): unknown {
      const original = this[key];
      if (original instanceof Date) return original.toUTCString();
      if (typeof current === 'bigint' && rawJSON) return rawJSON(current.toString());
      if (sortKeys && isPlainObject(current)) {
        const sorted: Record<string, unknown> = {};
        for (const name of Object.keys(current).sort()) sorted[name] = current[name];
        return sorted;
      }
      return current;
    };
    const text = JSON.stringify(value, replacer, options.indent);
    if (text === undefined) throw new TypeError(`Object of type ${typeof value} is not JSON serializable`);
    return this.ensureAscii ? escapeNonAscii(text) : text;
  }

  loads<T = unknown>(text: string): T {
    return JSON.parse(text) as T;
  }

  /** A JSON response (Flask's `jsonify`), indented when not compact, with Flask's trailing newline. */
  response(data: unknown, status = 200, headers?: HeadersInit): Response {
    const compact = this.compact ?? !this.debug();
    const body = `${this.dumps(data, compact ? {} : { indent: 2 })}\n`;
    return new Response(body, { status, headers: headers === undefined ? undefined : new HeaderList(headers), contentType: this.mimetype });
  }
}

/** The provider with Flask's defaults, for code outside an app (`json()` helper). */
export const defaultJson = new JsonProvider();

/** A JSON response with Flask's default settings (sorted keys, ASCII, compact, trailing newline); `app.json.response()` uses the app's. */
export function json(data: unknown, status = 200, headers?: HeadersInit): Response {
  return defaultJson.response(data, status, headers);
}
