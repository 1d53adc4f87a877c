import { BadRequestKeyError } from './http-exceptions.js';
import { parseQuery } from './query-string.js';

/**
 * Query and form fields (Werkzeug's MultiDict): a URLSearchParams whose
 * `getRequired(key)` answers 400 for a missing key, as `request.form['key']` does in Flask.
 */
export class MultiDict extends URLSearchParams {
  /** A query string or urlencoded body decoded as Werkzeug does (undecodable bytes stay `%XX`, not U+FFFD). */
  static fromQuery(text: string): MultiDict {
    const out = new MultiDict();
    for (const [name, value] of parseQuery(text)) out.append(name, value);
    return out;
  }

  /** The first value of `key`; a missing key is a 400 Bad Request (BadRequestKeyError). */
  getRequired(key: string): string {
    const value = this.get(key);
    if (value === null) throw new BadRequestKeyError(key);
    return value;
  }
}
