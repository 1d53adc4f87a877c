import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LineCounter, isNode, parseDocument } from 'yaml';
import { messageOf, errorCode } from '@tsgi/errors';
import { ConfigError } from '../errors.js';

/** A config file's values, and where in the file each one is (for error messages). */
export interface ConfigSource {
  raw: Record<string, unknown>;
  /** The 1-based line of the value at `path`, or of its nearest enclosing value that is in the file; undefined when none is. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** A config file larger than this is refused before it is parsed: no proxy config is near it, and a HUP must not stall serving. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const READ_HINTS: Record<string, string> = {
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
  ELOOP: 'too many symbolic links',
};

/** Reads a YAML or JSON file into a plain object. Throws ConfigError naming the file (and line) when it cannot. */
export function readConfigSource(path: string): ConfigSource {
  const text = readText(path);
  const json = path.endsWith('.json');
  const kind = json ? 'JSON' : 'YAML';
  let value: unknown;
  try {
    if (json) {
      value = JSON.parse(text);
    } else {
      // Merge keys (`<<: *base`) as YAML 1.1 has them; a warning (an unknown tag such as !!js/function) is an error
      // here, since the value it leaves is not what the file meant, and it would print on stderr outside the one line.
      const doc = parseDocument(text, { merge: true, logLevel: 'silent', lineCounter: new LineCounter() });
      const problem = doc.errors[0] ?? doc.warnings[0];
      if (problem !== undefined) throw problem;
      value = doc.toJS({ maxAliasCount: 100 });
    }
  } catch (err) {
    throw new ConfigError(`config: ${path} is not valid ${kind}: ${parseProblem(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'a list' : value === null || value === undefined ? 'nothing' : `a ${typeof value}`;
    throw new ConfigError(`config: ${path} must hold a mapping (key: value) at the top level, got ${got}`);
  }
  return { raw: value as Record<string, unknown>, lineOf: (at) => locate(text, at) };
}

/** The file as UTF-8 text (a BOM dropped): bounded in size, refused when its bytes are not UTF-8 rather than read as U+FFFD. */
function readText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readBounded(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = errorCode(err);
    const hint = code === undefined ? undefined : READ_HINTS[code];
    throw new ConfigError(`config: cannot read config file ${path}: ${code ?? String(err)}${hint === undefined ? '' : ` (${hint})`}`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ConfigError(`config: ${path} is UTF-16 text; save it as UTF-8`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const line = 1 + bytes.subarray(0, bad).filter((b) => b === 0x0a).length;
    throw new ConfigError(`config: ${path} is not UTF-8 text: byte 0x${(bytes[bad] as number).toString(16).padStart(2, '0')} at line ${line}`);
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads at most MAX_CONFIG_BYTES (regular files and pipes alike); more is a ConfigError. */
function readBounded(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(65536);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_CONFIG_BYTES) throw new ConfigError(`config: ${path} is over ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; a config file is at most that`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Index of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF), or -1. */
function firstInvalidUtf8(b: Buffer): number {
  if (isUtf8(b)) return -1;
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** The first line of a parser's complaint; the parser's own stack overflow on deep nesting reads as what it is. */
function parseProblem(err: unknown): string {
  const message = messageOf(err).split('\n')[0]!.replace(/:$/, '');
  return /Maximum call stack size exceeded/.test(message) ? 'nested too deeply' : message;
}

/** Reads a YAML or JSON file into a plain object. */
export function readConfigFile(path: string): Record<string, unknown> {
  return readConfigSource(path).raw;
}

/** JSON is YAML too, so one parser finds lines in both. */
function locate(text: string, path: readonly PropertyKey[]): number | undefined {
  const lines = new LineCounter();
  try {
    const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false, merge: true, logLevel: 'silent' });
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range !== undefined && node.range !== null) return lines.linePos(node.range[0]).line;
    }
  } catch {
    // A file the parser cannot walk (nested too deeply) still gets its error, without a line.
  }
  return undefined;
}
