/**
 * URL converters as Werkzeug's: each has a `regex` for one path part (or
 * more when `partIsolating` is false), `toPython`/`toUrl`, and a `weight`
 * that orders competing rules (lower is tried first).
 */

/** Thrown by `toPython`/`toUrl`: "this rule does not match, try the next one". */
export class ValidationError extends Error {
  constructor(message = 'value does not match the converter') {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Converter arguments as written in the rule: `int(3, max=9)` gives args [3], kwargs {max: 9}. */
export type ConverterArg = string | number | boolean | null;

const SEGMENT_UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,:;=@]/g;
const PATH_UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,/:;=@]/g;

/**
 * Percent-encodes a value for one path segment (WHATWG path-segment set).
 * Unlike Werkzeug, '/' is encoded too, so a built URL always matches its rule again.
 */
export function quotePath(value: string): string {
  return value.replace(SEGMENT_UNSAFE, (ch) => encodeURIComponent(ch));
}

/** Like quotePath but keeps '/', for converters that span segments (`path`). */
export function quotePathKeepSlash(value: string): string {
  return value.replace(PATH_UNSAFE, (ch) => encodeURIComponent(ch));
}

/** Base class of all converters; subclass it to register your own. */
export class BaseConverter {
  regex = '[^/]+';
  weight = 100;
  /** False when the regex can match '/' (the match then spans several path parts). */
  partIsolating = true;
  /**
   * Optional exact equivalent of testing `regex` against a whole part,
   * used instead of the regex when the converter is alone in its part.
   */
  fullMatch: ((text: string) => boolean) | undefined = undefined;

  // Arguments are accepted here so subclasses share one constructor shape.
  constructor(_args: readonly ConverterArg[] = [], _kwargs: Readonly<Record<string, ConverterArg>> = {}) {}

  toPython(value: string): unknown {
    return value;
  }

  toUrl(value: unknown): string {
    return quotePath(String(value));
  }
}

export type ConverterClass = new (args: readonly ConverterArg[], kwargs: Readonly<Record<string, ConverterArg>>) => BaseConverter;

function intArg(kwargs: Readonly<Record<string, ConverterArg>>, name: string, positional?: ConverterArg): number | undefined {
  const value = kwargs[name] ?? positional;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

function numberArg(kwargs: Readonly<Record<string, ConverterArg>>, name: string, positional?: ConverterArg): number | undefined {
  const value = kwargs[name] ?? positional;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${String(value)}`);
  return value;
}

function boolArg(kwargs: Readonly<Record<string, ConverterArg>>, name: string, positional?: ConverterArg): boolean {
  const value = kwargs[name] ?? positional;
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be True or False, got ${String(value)}`);
  return value;
}

function checkKnown(kwargs: Readonly<Record<string, ConverterArg>>, known: readonly string[]): void {
  for (const key of Object.keys(kwargs)) if (!known.includes(key)) throw new TypeError(`unknown argument ${key}`);
}

/** `string` (the default): one path part, optionally `minlength`, `maxlength` or exact `length`. */
export class StringConverter extends BaseConverter {
  constructor(args: readonly ConverterArg[] = [], kwargs: Readonly<Record<string, ConverterArg>> = {}) {
    super(args, kwargs);
    checkKnown(kwargs, ['minlength', 'maxlength', 'length']);
    const minlength = intArg(kwargs, 'minlength', args[0]);
    const maxlength = intArg(kwargs, 'maxlength', args[1]);
    const length = intArg(kwargs, 'length', args[2]);
    if (length !== undefined) this.regex = `[^/]{${length}}`;
    else if (minlength !== undefined || maxlength !== undefined) {
      if (minlength !== undefined && maxlength !== undefined && minlength > maxlength) throw new TypeError('minlength is greater than maxlength');
      this.regex = `[^/]{${minlength ?? 1},${maxlength ?? ''}}`;
    }
  }
}

/** `path`: like string but also matches slashes. */
export class PathConverter extends BaseConverter {
  constructor(args: readonly ConverterArg[] = [], kwargs: Readonly<Record<string, ConverterArg>> = {}) {
    super(args, kwargs);
    checkKnown(kwargs, []);
    this.regex = '[^/].*?';
    this.weight = 200;
    this.partIsolating = false;
  }
  override toUrl(value: unknown): string {
    return quotePathKeepSlash(String(value));
  }
}

/** `any(a, b, c)`: one of the listed values. */
export class AnyConverter extends BaseConverter {
  readonly choices: readonly string[];
  constructor(args: readonly ConverterArg[] = [], kwargs: Readonly<Record<string, ConverterArg>> = {}) {
    super(args, kwargs);
    checkKnown(kwargs, []);
    if (args.length === 0) throw new TypeError('any() needs at least one value');
    this.choices = args.map((arg) => String(arg));
    for (const choice of this.choices) if (choice === '' || choice.includes('/')) throw new TypeError(`any() value ${JSON.stringify(choice)} must be non-empty without '/'`);
    this.regex = `(?:${this.choices.map(escapeRegex).join('|')})`;
  }
  override toUrl(value: unknown): string {
    const text = String(value);
    if (!this.choices.includes(text)) throw new ValidationError(`${text} is not one of ${this.choices.join(', ')}`);
    return quotePath(text);
  }
}

abstract class NumberConverter extends BaseConverter {
  readonly fixedDigits: number;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly signed: boolean;
  constructor(digitsRegex: string, args: readonly ConverterArg[], kwargs: Readonly<Record<string, ConverterArg>>, allowFixed: boolean) {
    super(args, kwargs);
    checkKnown(kwargs, allowFixed ? ['fixed_digits', 'min', 'max', 'signed'] : ['min', 'max', 'signed']);
    const offset = allowFixed ? 0 : -1;
    this.fixedDigits = allowFixed ? intArg(kwargs, 'fixed_digits', args[0]) ?? 0 : 0;
    this.min = numberArg(kwargs, 'min', args[1 + offset]);
    this.max = numberArg(kwargs, 'max', args[2 + offset]);
    this.signed = boolArg(kwargs, 'signed', args[3 + offset]);
    if (this.min !== undefined && this.max !== undefined && this.min > this.max) throw new TypeError('min is greater than max');
    this.weight = 50;
    this.regex = this.signed ? `-?${digitsRegex}` : digitsRegex;
  }
  protected check(text: string, value: number): number {
    // Werkzeug counts the sign too: fixed_digits=3 with signed=True matches '-12', not '-123'.
    if (this.fixedDigits && text.length !== this.fixedDigits) throw new ValidationError();
    if ((this.min !== undefined && value < this.min) || (this.max !== undefined && value > this.max)) throw new ValidationError();
    return value;
  }
}

function allDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `int`: unsigned digits unless `signed=True`; `min`, `max`, `fixed_digits`. Values beyond 2^53 do not match. */
export class IntegerConverter extends NumberConverter {
  constructor(args: readonly ConverterArg[] = [], kwargs: Readonly<Record<string, ConverterArg>> = {}) {
    super('\\d+', args, kwargs, true);
    if (!this.signed) this.fullMatch = allDigits;
  }
  override toPython(value: string): number {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) throw new ValidationError();
    return this.check(value, number);
  }
  override toUrl(value: unknown): string {
    const number = Number(value);
    if (!Number.isInteger(number) || (!this.signed && number < 0)) throw new ValidationError(`${String(value)} is not a valid int for this rule`);
    // Python's zfill: the sign stays in front and counts toward the width.
    const digits = String(Math.abs(number));
    if (number >= 0) return digits.padStart(this.fixedDigits, '0');
    return `-${digits.padStart(this.fixedDigits - 1, '0')}`;
  }
}

/** `float`: digits '.' digits (no exponent), `signed`, `min`, `max`. */
export class FloatConverter extends NumberConverter {
  constructor(args: readonly ConverterArg[] = [], kwargs: Readonly<Record<string, ConverterArg>> = {}) {
    super('\\d+\\.\\d+', args, kwargs, false);
  }
  override toPython(value: string): number {
    return this.check(value, Number(value));
  }
  override toUrl(value: unknown): string {
    const number = Number(value);
    if (!Number.isFinite(number) || (!this.signed && number < 0)) throw new ValidationError(`${String(value)} is not a valid float for this rule`);
    let text = number.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
    if (!text.includes('.')) text += '.0';
    return text;
  }
}

/** `uuid`: canonical 8-4-4-4-12 hex; the value reaches the handler lower-cased. */
export class UUIDConverter extends BaseConverter {
  constructor(args: readonly ConverterArg[] = [], kwargs: Readonly<Record<string, ConverterArg>> = {}) {
    super(args, kwargs);
    checkKnown(kwargs, []);
    this.regex = '[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}';
  }
  override toPython(value: string): string {
    return value.toLowerCase();
  }
  override toUrl(value: unknown): string {
    const text = String(value).toLowerCase();
    if (!/^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/.test(text)) throw new ValidationError(`${text} is not a UUID`);
    return text;
  }
}

/** Escapes text for use inside a RegExp. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The converters every URL map starts with (Werkzeug's DEFAULT_CONVERTERS). */
export const DEFAULT_CONVERTERS: Readonly<Record<string, ConverterClass>> = Object.freeze({
  default: StringConverter,
  string: StringConverter,
  any: AnyConverter,
  path: PathConverter,
  int: IntegerConverter,
  float: FloatConverter,
  uuid: UUIDConverter,
});

/**
 * Maps converter names to the type their values have in handlers. Augment it
 * for your own converters: `declare module '@tsgi/framework' { interface ConverterTypes { hex: number } }`.
 */
export interface ConverterTypes {
  default: string;
  string: string;
  any: string;
  path: string;
  int: number;
  float: number;
  uuid: string;
}
