import { RouteError } from '../errors.js';
import { escapeRegex, ValidationError, type BaseConverter, type ConverterClass } from './converters.js';
import { parseRule } from './rule-parser.js';

/**
 * The domain part of a rule (Werkzeug's `subdomain=` / `host=`): text with
 * `<converter:name>` variables, matched against the request's subdomain or
 * host before the path, and written back when URLs are built.
 */
export class DomainPattern {
  readonly source: string;
  readonly names: readonly string[];
  private readonly regex: RegExp;
  private readonly converters: readonly BaseConverter[];
  private readonly pieces: ReadonlyArray<string | { name: string; converter: BaseConverter }>;

  constructor(rule: string, source: string, converters: ReadonlyMap<string, ConverterClass>) {
    this.source = source;
    const names: string[] = [];
    const instances: BaseConverter[] = [];
    const pieces: Array<string | { name: string; converter: BaseConverter }> = [];
    let pattern = '';
    // parseRule wants a leading '/': the domain is parsed as if it were a path and the slash dropped.
    for (const piece of parseRule(`/${source}`)) {
      if (piece.kind === 'static') {
        const text = pieces.length === 0 && pattern === '' ? piece.text.slice(1) : piece.text;
        pattern += escapeRegex(text);
        if (text !== '') pieces.push(text);
        continue;
      }
      const Converter = converters.get(piece.converter);
      if (!Converter) throw new RouteError('FW_ERR_ROUTE_CONVERTER_UNKNOWN', rule, `unknown converter "${piece.converter}" in the domain "${source}"`);
      const converter = new Converter(piece.args, piece.kwargs);
      pattern += `(${converter.regex.replace(/\((?!\?)/g, '(?:')})`;
      names.push(piece.name);
      instances.push(converter);
      pieces.push({ name: piece.name, converter });
    }
    this.regex = new RegExp(`^${pattern}$`, 'i');
    this.names = names;
    this.converters = instances;
    this.pieces = pieces;
  }

  /** The converted variables when `domain` matches, else undefined. */
  match(domain: string): unknown[] | undefined {
    const found = this.regex.exec(domain);
    if (found === null) return undefined;
    try {
      return this.converters.map((converter, i) => converter.toPython(found[i + 1]!));
    } catch (error) {
      if (error instanceof ValidationError) return undefined;
      throw error;
    }
  }

  /** The domain with `values` written in by each converter. */
  build(values: Readonly<Record<string, unknown>>): string {
    return this.pieces.map((piece) => (typeof piece === 'string' ? piece : piece.converter.toUrl(values[piece.name]))).join('');
  }
}
