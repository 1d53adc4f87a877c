import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { messageOf, errorCode } from '@tsgi/errors';

// Naming a user's app module as `path/to/mod.js:export` and reporting an
// import that fails in one readable line: shared by every program that loads
// an app (tsgi-appserver, the framework's `tsgi` command).

export interface AppSpec {
  /** Absolute path of the module. */
  file: string;
  /** Export name; undefined: `app`, then `default`. */
  exportName: string | undefined;
}

/** `path/to/mod.js:export` → file + export (the last `:` splits, so `C:`-free paths only). */
export function parseAppSpec(spec: string, cwd: string): AppSpec {
  const colon = spec.lastIndexOf(':');
  const hasExport = colon > 0 && /^[A-Za-z_$][\w$]*$/.test(spec.slice(colon + 1));
  const path = hasExport ? spec.slice(0, colon) : spec;
  return { file: resolve(cwd, path), exportName: hasExport ? spec.slice(colon + 1) : undefined };
}

/**
 * One line for an import that threw, naming the file and line at fault: a
 * SyntaxError in a file the entry imports is reported against that file
 * (Node puts `file:///x.js:3` on the stack's first line; tsx/esbuild
 * `/x.ts:3:5: ERROR:`), not against the entry module.
 */
export function describeImportFailure(entry: string, err: unknown): string {
  const message = messageOf(err);
  const firstLine = message.split('\n').find((l) => l.trim() !== '' && !/^Transform failed/.test(l)) ?? message;
  const hint = errorCode(err) === 'ERR_UNKNOWN_FILE_EXTENSION' ? ' (a .ts entry needs tsx: node --import tsx, or Node >= 22.18)' : '';
  const where = errorLocation(err, entry);
  const text = firstLine.replace(/^\S+:\d+:\d+: ERROR: /, '');
  const named = err instanceof SyntaxError && !text.startsWith('SyntaxError') ? `SyntaxError: ${text}` : text;
  if (where !== undefined) return `importing ${entry} failed: ${where}: ${named}${hint}`;
  return `importing ${entry} failed: ${firstLine}${hint}`;
}

function errorLocation(err: unknown, entry: string): string | undefined {
  for (const text of [err instanceof Error ? (err.stack ?? '') : '', messageOf(err)]) {
    // CommonJS and type-stripped TS: the stack starts with the offending file and line.
    const node = /^(file:\/\/\S+?|\/\S+?):(\d+)\s*$/.exec(text.split('\n')[0] ?? '');
    if (node) return `${toPath(node[1]!)}:${node[2]}`;
    // esbuild (tsx): "/path/file.ts:3:5: ERROR: Expected ..."
    const esbuild = /^(\/[^\s:]+):(\d+):(\d+): ERROR:/m.exec(text);
    if (esbuild) return `${esbuild[1]}:${esbuild[2]}`;
  }
  if (!(err instanceof SyntaxError)) return undefined;
  // Thrown while the module ran (JSON.parse, new Function): the first frame outside Node names the place.
  for (const line of (err.stack ?? '').split('\n').slice(1)) {
    const frame = /(?:\(|at )((?:file:\/\/|\/)[^():\s]+):(\d+):\d+\)?$/.exec(line);
    // Loader frames (tsx under node_modules) are not the app's.
    if (frame && !frame[1]!.includes('/node_modules/')) return `${toPath(frame[1]!)}:${frame[2]}`;
  }
  return locateInChild(entry);
}

/**
 * An ES module's parse-time SyntaxError carries no file or line (Node keeps
 * them in a private field it only prints for uncaught errors), so import the
 * entry again in a child, with the same loader flags, and read the location
 * off its uncaught-error report. A syntax error in the static import graph
 * stops it before any module runs, so the child runs no app code (one in a
 * module loaded by a top-level `await import()` lets the modules before it
 * run again in the child).
 */
function locateInChild(entry: string): string | undefined {
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(entry).href)})`], {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const first = (r.stderr ?? '').split('\n').find((l) => l.trim() !== '');
  const m = first === undefined ? null : /^(file:\/\/\S+?|\/\S+?):(\d+)\s*$/.exec(first);
  return m ? `${toPath(m[1]!)}:${m[2]}` : undefined;
}

function toPath(location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : location;
}
