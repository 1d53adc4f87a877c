import { RouteError } from '../errors.js';
import type { ConverterArg } from './converters.js';

/** A `<converter(args):name>` placeholder as written. */
export interface VariablePiece {
  kind: 'variable';
  name: string;
  converter: string;
  args: ConverterArg[];
  kwargs: Record<string, ConverterArg>;
  /** The converter spec as written, e.g. `int(min=1)`, used to share matcher states. */
  spec: string;
}

export interface StaticPiece {
  kind: 'static';
  text: string;
}

export type Piece = StaticPiece | VariablePiece;

const VARIABLE = /^(?:([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?:)?([A-Za-z_][A-Za-z0-9_]*)$/s;
const ARGUMENT = /^\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?("[^"]*"|'[^']*'|[^,'"=]*?)\s*(?:,|$)/;

/** Splits a rule string into static text and variables; throws `FW_ERR_ROUTE_*` on malformed input. */
export function parseRule(rule: string): Piece[] {
  if (typeof rule !== 'string' || !rule.startsWith('/')) {
    throw new RouteError('FW_ERR_ROUTE_SYNTAX', String(rule), 'a rule must start with "/"');
  }
  const pieces: Piece[] = [];
  const names = new Set<string>();
  let position = 0;
  while (position < rule.length) {
    const open = rule.indexOf('<', position);
    if (open === -1) {
      pieces.push({ kind: 'static', text: rule.slice(position) });
      break;
    }
    if (open > position) pieces.push({ kind: 'static', text: rule.slice(position, open) });
    const close = rule.indexOf('>', open);
    const nextOpen = rule.indexOf('<', open + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      throw new RouteError('FW_ERR_ROUTE_SYNTAX', rule, `unclosed "<" at offset ${open}`);
    }
    const inner = rule.slice(open + 1, close);
    const match = VARIABLE.exec(inner);
    if (!match) throw new RouteError('FW_ERR_ROUTE_SYNTAX', rule, `malformed variable <${inner}>: expected <name> or <converter:name> or <converter(args):name>`);
    const [, converter = 'default', argText, name] = match as unknown as [string, string | undefined, string | undefined, string];
    if (names.has(name)) throw new RouteError('FW_ERR_ROUTE_VARIABLE_DUPLICATE', rule, `variable "${name}" appears twice`);
    names.add(name);
    const { args, kwargs } = argText === undefined ? { args: [], kwargs: {} } : parseArguments(rule, argText);
    pieces.push({ kind: 'variable', name, converter, args, kwargs, spec: argText === undefined ? converter : `${converter}(${argText})` });
    position = close + 1;
  }
  return pieces;
}

function parseArguments(rule: string, text: string): { args: ConverterArg[]; kwargs: Record<string, ConverterArg> } {
  const args: ConverterArg[] = [];
  const kwargs: Record<string, ConverterArg> = {};
  let rest = text;
  while (rest.trim() !== '') {
    const match = ARGUMENT.exec(rest);
    if (!match || match[0] === '') throw new RouteError('FW_ERR_ROUTE_CONVERTER_ARGS', rule, `cannot parse converter arguments "${text}"`);
    const [whole, key, raw = ''] = match;
    if (raw === '') throw new RouteError('FW_ERR_ROUTE_CONVERTER_ARGS', rule, `empty converter argument in "${text}"`);
    const value = toValue(raw);
    if (key !== undefined) kwargs[key] = value;
    else if (Object.keys(kwargs).length > 0) throw new RouteError('FW_ERR_ROUTE_CONVERTER_ARGS', rule, `positional argument after keyword in "${text}"`);
    else args.push(value);
    rest = rest.slice(whole.length);
  }
  return { args, kwargs };
}

function toValue(raw: string): ConverterArg {
  if (raw === 'True' || raw === 'true') return true;
  if (raw === 'False' || raw === 'false') return false;
  if (raw === 'None' || raw === 'null') return null;
  if (/^-?\d+(?:\.\d+)?$/.test(raw)) return Number(raw);
  if ((raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'"))) return raw.slice(1, -1);
  return raw;
}
