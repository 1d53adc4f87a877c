import { messageOf } from '@tsgi/errors';
import { RouteError } from '../errors.js';
import { BaseConverter, escapeRegex, type ConverterClass } from './converters.js';
import { DomainPattern } from './domain.js';
import { parseRule, type Piece, type VariablePiece } from './rule-parser.js';
import { TOKEN_RE as METHOD } from '@tsgi/http1';

/** A rule part that matches one path part exactly. */
export interface StaticPart {
  static: true;
  text: string;
}

/** A rule part with converters; `final` parts consume the rest of the path (non-isolating converters such as `path`). */
export interface DynamicPart {
  static: false;
  final: boolean;
  /** Anchored; compiled once at registration. */
  regex: RegExp;
  /** True when the part is a lone converter matching any non-empty part (`<name>`): no regex needed. */
  matchesAnyPart: boolean;
  /** A lone converter's regex-free test of the whole part, when it has one. */
  fullMatch: ((text: string) => boolean) | undefined;
  converters: BaseConverter[];
  /** Capture group index of each converter's value. */
  groups: number[];
  /** Parts with equal keys share a matcher state. */
  key: string;
  /** Werkzeug's part weighting, compared element-wise (lower first). */
  weight: number[];
}

export type RulePart = StaticPart | DynamicPart;

export interface RuleOptions {
  endpoint: string;
  /** Upper-case methods; null: GET only (Flask's default). */
  methods?: readonly string[] | null;
  strictSlashes?: boolean;
  /** Values passed to the handler when this rule lacks the variable (Flask's `defaults`). */
  defaults?: Readonly<Record<string, unknown>>;
  /** Add OPTIONS answered by the framework (default true unless OPTIONS is listed). */
  provideAutomaticOptions?: boolean;
  redirectTo?: string | ((params: Record<string, unknown>) => string);
  alias?: boolean;
  /** Subdomain pattern (with subdomain matching on), e.g. `api` or `<user>`. */
  subdomain?: string;
  /** Host pattern (with host matching on), e.g. `<user>.example.com`. */
  host?: string;
}

type BuildPiece = string | { name: string; converter: BaseConverter };


function countGroups(source: string): number {
  return new RegExp(`${source}|`).exec('')!.length - 1;
}

/** One compiled URL rule. */
export class Rule {
  readonly rule: string;
  readonly endpoint: string;
  readonly methods: ReadonlySet<string>;
  readonly strictSlashes: boolean;
  readonly defaults: Readonly<Record<string, unknown>> | undefined;
  /** OPTIONS was added by the framework and is answered with the Allow list. */
  readonly automaticOptions: boolean;
  readonly argNames: readonly string[];
  readonly parts: readonly RulePart[];
  /** No variables: the rule can be found by exact path lookup. */
  readonly isStatic: boolean;
  readonly buildPieces: readonly BuildPiece[];
  readonly redirectTo: RuleOptions['redirectTo'];
  readonly alias: boolean;
  /** Variables and default keys together (Werkzeug's `Rule.arguments`). */
  readonly arguments: ReadonlySet<string>;
  /** The subdomain or host this rule is bound to (Werkzeug's `subdomain=` / `host=`). */
  readonly domain: DomainPattern | undefined;
  /** Registration order, the last tie-breaker. */
  index = 0;

  constructor(rule: string, options: RuleOptions, converters: ReadonlyMap<string, ConverterClass>) {
    this.rule = rule;
    this.endpoint = options.endpoint;
    this.strictSlashes = options.strictSlashes ?? true;
    this.defaults = options.defaults;
    this.redirectTo = options.redirectTo;
    this.alias = options.alias ?? false;
    const methods = new Set<string>();
    for (const method of options.methods ?? ['GET']) {
      if (typeof method !== 'string' || !METHOD.test(method)) throw new RouteError('FW_ERR_ROUTE_METHOD', rule, `method ${JSON.stringify(method)} is not an HTTP token`);
      methods.add(method.toUpperCase());
    }
    if (methods.has('GET')) methods.add('HEAD');
    const automatic = options.provideAutomaticOptions ?? !methods.has('OPTIONS');
    if (automatic) methods.add('OPTIONS');
    this.automaticOptions = automatic;
    this.methods = methods;

    const pieces = parseRule(rule);
    const argNames: string[] = [];
    const buildPieces: BuildPiece[] = [];
    const instances = new Map<VariablePiece, BaseConverter>();
    for (const piece of pieces) {
      if (piece.kind === 'static') {
        buildPieces.push(piece.text);
        continue;
      }
      const Converter = converters.get(piece.converter);
      if (!Converter) throw new RouteError('FW_ERR_ROUTE_CONVERTER_UNKNOWN', rule, `unknown converter "${piece.converter}"`);
      let instance: BaseConverter;
      try {
        instance = new Converter(piece.args, piece.kwargs);
        new RegExp(instance.regex);
      } catch (error) {
        throw new RouteError('FW_ERR_ROUTE_CONVERTER_ARGS', rule, `converter ${piece.spec}: ${messageOf(error)}`);
      }
      instances.set(piece, instance);
      argNames.push(piece.name);
      buildPieces.push({ name: piece.name, converter: instance });
    }
    this.argNames = argNames;
    const domainSource = options.host ?? options.subdomain;
    this.domain = domainSource === undefined || domainSource === '' ? undefined : new DomainPattern(rule, domainSource, converters);
    this.arguments = new Set([...argNames, ...(this.domain?.names ?? []), ...Object.keys(options.defaults ?? {})]);
    this.buildPieces = buildPieces;
    this.isStatic = argNames.length === 0;
    this.parts = compileParts(rule, splitSegments(pieces), instances);
  }

  /** Werkzeug's `provides_defaults_for`: this rule is the canonical, defaulted form of `other`. */
  providesDefaultsFor(other: Rule): boolean {
    return !this.alias && this.defaults !== undefined && this.endpoint === other.endpoint && this !== other && sameSet(this.arguments, other.arguments);
  }

  /** Werkzeug's `suitable_for`: the values cover the variables and agree with the defaults. */
  suitableFor(values: Readonly<Record<string, unknown>>, method?: string): boolean {
    if (method !== undefined && !this.methods.has(method.toUpperCase())) return false;
    for (const name of this.argNames) if (values[name] === undefined || values[name] === null) return false;
    if (this.domain) for (const name of this.domain.names) if (values[name] === undefined || values[name] === null) return false;
    if (this.defaults) for (const [key, value] of Object.entries(this.defaults)) if (values[key] !== undefined && values[key] !== value) return false;
    return true;
  }

  /** Whether the rule serves this subdomain/host: '' is the default domain; rules without a pattern serve only it unless host matching lets them serve any. */
  acceptsDomain(domain: string, anyHostForPlainRules: boolean): boolean {
    if (this.domain === undefined) return domain === '' || anyHostForPlainRules;
    return this.domain.match(domain) !== undefined;
  }

  /** True if a request with this method may use the rule. */
  allows(method: string): boolean {
    return this.methods.has(method);
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/** Groups pieces into '/'-separated segments; "/" yields one empty segment, as Werkzeug's parts. */
function splitSegments(pieces: readonly Piece[]): Piece[][] {
  const segments: Piece[][] = [[]];
  let first = true;
  for (const piece of pieces) {
    if (piece.kind === 'variable') {
      segments[segments.length - 1]!.push(piece);
      continue;
    }
    let text = piece.text;
    if (first && text.startsWith('/')) text = text.slice(1);
    const bits = text.split('/');
    bits.forEach((bit, i) => {
      if (i > 0) segments.push([]);
      if (bit !== '') segments[segments.length - 1]!.push({ kind: 'static', text: bit });
    });
    first = false;
  }
  return segments;
}

function compileParts(rule: string, segments: Piece[][], instances: Map<VariablePiece, BaseConverter>): RulePart[] {
  const parts: RulePart[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const isolating = segment.every((piece) => piece.kind === 'static' || instances.get(piece)!.partIsolating);
    if (segment.every((piece) => piece.kind === 'static')) {
      parts.push({ static: true, text: segment.map((piece) => (piece as { text: string }).text).join('') });
      continue;
    }
    if (isolating) {
      parts.push(dynamicPart(rule, [segment], instances, false));
      continue;
    }
    parts.push(dynamicPart(rule, segments.slice(i), instances, true));
    break;
  }
  return parts;
}

function dynamicPart(rule: string, segments: Piece[][], instances: Map<VariablePiece, BaseConverter>, final: boolean): DynamicPart {
  let source = '';
  let key = final ? 'final:' : '';
  const converters: BaseConverter[] = [];
  const groups: number[] = [];
  const staticWeights: number[] = [];
  const argumentWeights: number[] = [];
  let group = 1;
  let position = 0;
  segments.forEach((segment, index) => {
    if (index > 0) {
      source += '\\/';
      key += '/';
    }
    for (const piece of segment) {
      if (piece.kind === 'static') {
        source += escapeRegex(piece.text);
        key += `s${JSON.stringify(piece.text)}`;
        staticWeights.push(position, -piece.text.length);
      } else {
        const converter = instances.get(piece)!;
        source += `(${converter.regex})`;
        key += `v${JSON.stringify([piece.spec, converter.regex])}`;
        converters.push(converter);
        groups.push(group);
        group += 1 + countGroups(converter.regex);
        argumentWeights.push(converter.weight);
      }
      position += 1;
    }
  });
  let regex: RegExp;
  try {
    regex = new RegExp(`^${source}$`, 's');
  } catch (error) {
    throw new RouteError('FW_ERR_ROUTE_CONVERTER_ARGS', rule, `converter regex does not compile: ${messageOf(error)}`);
  }
  const only = segments.length === 1 && segments[0]!.length === 1 ? instances.get(segments[0]![0] as VariablePiece) : undefined;
  return {
    static: false,
    final,
    regex,
    matchesAnyPart: !final && only !== undefined && only.regex === '[^/]+' && Object.getPrototypeOf(only).toPython === BaseConverter.prototype.toPython,
    fullMatch: final ? undefined : only?.fullMatch,
    converters,
    groups,
    key,
    weight: [-staticWeights.length / 2, ...staticWeights, -argumentWeights.length, ...argumentWeights],
  };
}
