import { ValidationError } from './converters.js';
import type { DynamicPart, Rule } from './rule.js';

interface State {
  static: Map<string, State>;
  dynamic: Array<{ part: DynamicPart; state: State }>;
  rules: Rule[];
}

function newState(): State {
  return { static: new Map(), dynamic: [], rules: [] };
}

/** The outcome of matching a path and method. */
export type MatchResult =
  | { kind: 'match'; rule: Rule; values: unknown[] }
  /** The path only matches with a trailing slash (strict slashes): redirect there. */
  | { kind: 'slash' }
  /** Nothing matched; `allowed` lists methods of rules that matched the path (405 when non-empty). */
  | { kind: 'none'; allowed: Set<string> };

const EMPTY: unknown[] = [];

/**
 * Werkzeug's state machine matcher: one state per path part, static
 * transitions tried before dynamic ones, dynamic ones in weight order,
 * backtracking when a later part fails. Static rules are also indexed by
 * their exact path, so the common case is one Map lookup.
 */
export class StateMachineMatcher {
  private readonly root: State = newState();
  private readonly exact = new Map<string, Rule[]>();
  private sorted = true;

  add(rule: Rule): void {
    let state = this.root;
    for (const part of rule.parts) {
      if (part.static) {
        let next = state.static.get(part.text);
        if (!next) state.static.set(part.text, (next = newState()));
        state = next;
      } else {
        let entry = state.dynamic.find((candidate) => candidate.part.key === part.key);
        if (!entry) {
          entry = { part, state: newState() };
          state.dynamic.push(entry);
          this.sorted = false;
        }
        state = entry.state;
      }
    }
    state.rules.push(rule);
    if (rule.isStatic) {
      const path = `/${rule.parts.map((part) => (part as { text: string }).text).join('/')}`;
      const list = this.exact.get(path);
      if (list) list.push(rule);
      else this.exact.set(path, [rule]);
    }
  }

  /** Sorts dynamic transitions by weight; called before the first match after a change. */
  private update(state: State = this.root): void {
    state.dynamic.sort((a, b) => compareWeights(a.part.weight, b.part.weight));
    for (const next of state.static.values()) this.update(next);
    for (const { state: next } of state.dynamic) this.update(next);
  }

  /**
   * Matches a path and method; `domain` (the subdomain, or the host with host
   * matching) filters rules by their subdomain/host pattern, undefined skips that.
   */
  match(path: string, method: string, domain?: DomainFilter): MatchResult {
    if (!this.sorted) {
      this.update();
      this.sorted = true;
    }
    DOMAIN = domain;
    const exact = this.exact.get(path);
    if (exact !== undefined) {
      for (const rule of exact) if (rule.methods.has(method) && domainOk(rule)) return { kind: 'match', rule, values: EMPTY };
    }
    if (path !== '' && path.charCodeAt(0) !== 47) return { kind: 'none', allowed: new Set() };
    // Matching is synchronous, so one scratch set serves every call; copied only for a miss.
    SCRATCH_ALLOWED.clear();
    const values: unknown[] = [];
    const found = walk(this.root, path, path === '' ? END : 1, method, values, SCRATCH_ALLOWED);
    if (found === SLASH) return { kind: 'slash' };
    if (found !== null) return { kind: 'match', rule: found, values };
    return { kind: 'none', allowed: new Set(SCRATCH_ALLOWED) };
  }
}

/** The domain a request is for: its subdomain, or its host when `anyHost` (host matching). */
export interface DomainFilter {
  domain: string;
  anyHost: boolean;
}

// Matching is synchronous: the domain of the match in progress, read by walk().
let DOMAIN: DomainFilter | undefined;

function domainOk(rule: Rule): boolean {
  return DOMAIN === undefined || rule.acceptsDomain(DOMAIN.domain, DOMAIN.anyHost);
}

const SLASH = Symbol('slash');
const SCRATCH_ALLOWED = new Set<string>();

function compareWeights(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Position meaning "no path parts left". */
const END = -1;

/**
 * Matches the part starting at `pos` (just after a '/') and the rest after
 * it, without splitting the path into an array.
 */
function walk(state: State, path: string, pos: number, method: string, values: unknown[], allowed: Set<string>): Rule | typeof SLASH | null {
  if (pos === END) {
    for (const rule of state.rules) {
      if (!domainOk(rule)) continue;
      if (rule.methods.has(method)) return rule;
      for (const m of rule.methods) allowed.add(m);
    }
    const slashed = state.static.get('');
    if (slashed !== undefined) {
      for (const rule of slashed.rules) {
        if (rule.methods.has(method) && domainOk(rule)) return rule.strictSlashes ? SLASH : rule;
      }
    }
    return null;
  }
  const slash = path.indexOf('/', pos);
  const part = slash === -1 ? path.slice(pos) : path.slice(pos, slash);
  const next = slash === -1 ? END : slash + 1;
  const child = state.static.get(part);
  if (child !== undefined) {
    const found = walk(child, path, next, method, values, allowed);
    if (found !== null) return found;
  }
  const mark = values.length;
  for (const { part: dynamic, state: target } of state.dynamic) {
    if (dynamic.final) {
      if (!convert(dynamic, slash === -1 ? part : path.slice(pos), values)) continue;
      const found = walk(target, path, END, method, values, allowed);
      if (found !== null) return found;
    } else {
      if (part === '' || !convert(dynamic, part, values)) continue;
      const found = walk(target, path, next, method, values, allowed);
      if (found !== null) return found;
    }
    values.length = mark;
  }
  // A trailing slash on a rule without one matches only when the rule is not strict.
  if (part === '' && next === END) {
    for (const rule of state.rules) {
      if (rule.strictSlashes || !domainOk(rule)) continue;
      if (rule.methods.has(method)) return rule;
      for (const m of rule.methods) allowed.add(m);
    }
  }
  return null;
}

function convert(part: DynamicPart, text: string, values: unknown[]): boolean {
  if (part.matchesAnyPart) {
    values.push(text);
    return true;
  }
  if (part.fullMatch !== undefined) {
    if (!part.fullMatch(text)) return false;
    try {
      values.push(part.converters[0]!.toPython(text));
    } catch (error) {
      if (error instanceof ValidationError) return false;
      throw error;
    }
    return true;
  }
  const match = part.regex.exec(text);
  if (match === null) return false;
  const mark = values.length;
  try {
    for (let i = 0; i < part.converters.length; i++) values.push(part.converters[i]!.toPython(match[part.groups[i]!]!));
  } catch (error) {
    if (error instanceof ValidationError) {
      values.length = mark;
      return false;
    }
    throw error;
  }
  return true;
}
