import type { ResponseHeaders } from '@tsgi/gateway';

/** What may be passed where headers are expected. */
export type HeadersInit = ResponseHeaders | Record<string, string | number | readonly string[]> | HeaderList;

const FORBIDDEN_VALUE = /[\r\n\0]/;

/**
 * Response headers: an ordered list of `[name, value]` pairs (names may repeat,
 * as Set-Cookie does) with case-insensitive lookups, like Werkzeug's `Headers`.
 * Values with CR, LF or NUL are refused at once (header injection, RESP-3).
 */
export class HeaderList {
  readonly pairs: ResponseHeaders;

  constructor(init?: HeadersInit) {
    this.pairs = [];
    if (init !== undefined) this.extend(init);
  }

  /** Adds a header, keeping any existing ones of that name. */
  append(name: string, value: string | number): this {
    const text = String(value);
    if (FORBIDDEN_VALUE.test(text)) throw new TypeError(`header ${name} value contains CR, LF or NUL`);
    this.pairs.push([name, text]);
    return this;
  }

  /** Replaces every header of that name with one value. */
  set(name: string, value: string | number): this {
    this.delete(name);
    return this.append(name, value);
  }

  /** Sets the header only when it is absent. */
  setDefault(name: string, value: string | number): this {
    if (!this.has(name)) this.append(name, value);
    return this;
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [key, value] of this.pairs) if (key.toLowerCase() === lower) return value;
    return undefined;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.pairs.filter(([key]) => key.toLowerCase() === lower).map(([, value]) => value);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  delete(name: string): this {
    const lower = name.toLowerCase();
    for (let i = this.pairs.length - 1; i >= 0; i--) if (this.pairs[i]![0].toLowerCase() === lower) this.pairs.splice(i, 1);
    return this;
  }

  extend(init: HeadersInit): this {
    if (init instanceof HeaderList) {
      for (const [name, value] of init.pairs) this.append(name, value);
    } else if (Array.isArray(init)) {
      for (const [name, value] of init) this.append(name, value);
    } else {
      for (const [name, value] of Object.entries(init)) {
        if (Array.isArray(value)) for (const item of value) this.append(name, item);
        else this.append(name, value as string | number);
      }
    }
    return this;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.pairs[Symbol.iterator]();
  }
}
