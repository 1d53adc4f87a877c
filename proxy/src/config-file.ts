import { readFileSync } from 'node:fs';
import { LineCounter, isNode, parseDocument, parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';

/** A config file's values, and where in the file each one is (for error messages). */
export interface ConfigSource {
  raw: Record<string, unknown>;
  /** The 1-based line of the value at `path`, or of its nearest enclosing value that is in the file; undefined when none is. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** Reads a YAML or JSON file into a plain object. Throws ConfigError naming the file (and line) when it cannot. */
export function readConfigSource(path: string): ConfigSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const json = path.endsWith('.json');
  let value: unknown;
  try {
    value = json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config: ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${String((err as Error).message).split('\n')[0]!.replace(/:$/, '')}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`config: ${path} must hold a mapping at the top level`);
  return { raw: value as Record<string, unknown>, lineOf: (at) => locate(text, at) };
}

/** Reads a YAML or JSON file into a plain object. */
export function readConfigFile(path: string): Record<string, unknown> {
  return readConfigSource(path).raw;
}

/** JSON is YAML too, so one parser finds lines in both. */
function locate(text: string, path: readonly PropertyKey[]): number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range !== undefined && node.range !== null) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
