import { BadRequestKeyError } from './http-exceptions.js';

/**
 * Query and form fields (Werkzeug's MultiDict): a URLSearchParams whose
 * `getRequired(key)` answers 400 for a missing key, as `request.form['key']` does in Flask.
 */
export class MultiDict extends URLSearchParams {
  /** The first value of `key`; a missing key is a 400 Bad Request (BadRequestKeyError). */
  getRequired(key: string): string {
    const value = this.get(key);
    if (value === null) throw new BadRequestKeyError(key);
    return value;
  }
}
