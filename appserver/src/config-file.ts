import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { messageOf } from '@tsgi/errors';
import type { RawValue } from './config.js';
import { ConfigError } from './errors.js';
import { SETTINGS_BY_KEY } from './settings.js';

/**
 * Evaluates a `.js`/`.mjs` config module and prints its settings as JSON. Run
 * in a short-lived child: the master reads the file again on every HUP, and
 * ESM has no way to unload a module, so importing it in the master (with a
 * cache-busting URL to see edits) kept one more module alive per reload.
 */
const EVALUATE = `
const mod = await import(process.argv[1]);
let data = mod.default ?? { ...mod };
// A CommonJS build of an ES module (a loader's interop) nests the default export once more.
if (data !== null && typeof data === 'object' && Object.keys(data).length === 1 && 'default' in data) data = data.default;
// JSON would drop a function silently (the setting fell back to its default) and turn Infinity into null.
const plain = (key, value) => {
  if (key !== '' && (typeof value === 'function' || typeof value === 'symbol')) throw new TypeError('setting "' + key + '" is a ' + typeof value + ', not a plain value');
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
};
process.stdout.write(JSON.stringify(data, plain) ?? 'null');
`;
const EVALUATE_TIMEOUT_MS = 10_000;

/**
 * Reads a config file (`.json`, or a `.js`/`.mjs` module's default export) into
 * raw setting values; keys may be camelCase, kebab-case or snake_case.
 * Throws ConfigError (one line naming the file and `via`, the flag or
 * variable that named it).
 */
export async function readConfigFile(file: string, via: string): Promise<Map<string, RawValue>> {
  if (!existsSync(file)) throw new ConfigError('config', `config: config file not found: ${file} (from ${via})`);
  let data: unknown;
  try {
    data = extname(file) === '.json' ? JSON.parse(await readFile(file, 'utf8')) : await evaluateModule(file);
  } catch (err) {
    throw new ConfigError('config', `config: cannot read ${file}: ${messageOf(err).split('\n')[0]} (from ${via})`, { cause: err });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError('config', `config: ${file} must hold an object of settings (from ${via})`);
  }
  const out = new Map<string, RawValue>();
  const name = basename(file);
  for (const [rawKey, value] of Object.entries(data)) {
    const key = rawKey.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!SETTINGS_BY_KEY.has(key) || key === 'checkConfig') {
      throw new ConfigError(rawKey, `config: unknown setting "${rawKey}" (from ${name})`);
    }
    out.set(key, { value, from: name });
  }
  return out;
}

/** The module's settings, evaluated in a child node (a TypeScript one with this process's loader flags, e.g. tsx). */
function evaluateModule(file: string): Promise<unknown> {
  const execArgv = /\.[cm]?ts$/.test(file) ? process.execArgv.filter((a) => !a.startsWith('--inspect')) : [];
  const args = [...execArgv, '--input-type=module', '--eval', EVALUATE, pathToFileURL(file).href];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: EVALUATE_TIMEOUT_MS, maxBuffer: 1 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const why = lastErrorLine(stderr) ?? (err.killed ? `no answer in ${EVALUATE_TIMEOUT_MS} ms` : err.message);
        return reject(new Error(why));
      }
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error('its settings are not plain values (numbers, strings, booleans, lists)'));
      }
    });
  });
}

/** The `Error: message` line of a child's uncaught exception. */
function lastErrorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.find((l) => /^[A-Za-z]*Error\b.*:/.test(l)) ?? lines.at(-1);
}
