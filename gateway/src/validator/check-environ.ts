import { TOKEN_RE as TOKEN } from '@tsgi/http1';
import type { RuleId } from '../rules.js';

/** A broken rule and what was seen, before it is formatted into a log line. */
export interface Finding {
  rule: RuleId;
  seen: string;
}

const CGI_KEY = /^[A-Z][A-Z0-9_]*$/;
const HTTP_KEY = /^HTTP_[!#$%&'*+.^_`|~0-9A-Z]+$/;
const REQUIRED_STRINGS = [
  'REQUEST_METHOD',
  'SCRIPT_NAME',
  'PATH_INFO',
  'QUERY_STRING',
  'SERVER_NAME',
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'REMOTE_ADDR',
] as const;
const PROTOCOLS = new Set(['HTTP/1.0', 'HTTP/1.1', 'HTTP/2']);

/** Short, log-safe rendering of a value that broke a rule. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value === null) return 'null';
  if (typeof value === 'function') return 'function';
  if (typeof value === 'object') return `object ${(value as object).constructor?.name ?? 'Object'}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Checks what the SERVER put in environ (ENV-1..ENV-18). Returns the first
 * broken rule, or null. Every key is read once; servers with a lazy HTTP_*
 * view pay for it only under the validator, which is a development tool.
 */
export function checkEnviron(environ: Record<string, unknown>): Finding | null {
  if (environ === null || typeof environ !== 'object') {
    return { rule: 'ENV-17', seen: `environ is ${show(environ)}` };
  }
  for (const key of REQUIRED_STRINGS) {
    if (typeof environ[key] !== 'string') {
      const rule: RuleId =
        key === 'REQUEST_METHOD' ? 'ENV-1' : key === 'SCRIPT_NAME' ? 'ENV-2' : key === 'PATH_INFO' ? 'ENV-3'
        : key === 'QUERY_STRING' ? 'ENV-4' : key === 'SERVER_PROTOCOL' ? 'ENV-8' : key === 'REMOTE_ADDR' ? 'ENV-10' : 'ENV-7';
      return { rule, seen: `${key} is ${show(environ[key])}` };
    }
  }
  const method = environ.REQUEST_METHOD as string;
  if (!TOKEN.test(method)) return { rule: 'ENV-1', seen: `REQUEST_METHOD ${show(method)}` };
  const script = environ.SCRIPT_NAME as string;
  if (script !== '' && (!script.startsWith('/') || script.endsWith('/'))) {
    return { rule: 'ENV-2', seen: `SCRIPT_NAME ${show(script)}` };
  }
  const path = environ.PATH_INFO as string;
  if (path !== '' && !path.startsWith('/')) return { rule: 'ENV-3', seen: `PATH_INFO ${show(path)}` };
  const query = environ.QUERY_STRING as string;
  if (/[\s#]/.test(query)) return { rule: 'ENV-4', seen: `QUERY_STRING ${show(query)} has whitespace or '#'` };
  if ('CONTENT_TYPE' in environ && typeof environ.CONTENT_TYPE !== 'string') {
    return { rule: 'ENV-5', seen: `CONTENT_TYPE is ${show(environ.CONTENT_TYPE)}` };
  }
  if ('CONTENT_LENGTH' in environ) {
    const cl = environ.CONTENT_LENGTH;
    if (typeof cl !== 'string' || !/^\d+$/.test(cl)) return { rule: 'ENV-6', seen: `CONTENT_LENGTH is ${show(cl)}` };
  }
  if (environ.SERVER_NAME === '' || environ.SERVER_PORT === '') {
    return { rule: 'ENV-7', seen: `SERVER_NAME ${show(environ.SERVER_NAME)}, SERVER_PORT ${show(environ.SERVER_PORT)}` };
  }
  if (!PROTOCOLS.has(environ.SERVER_PROTOCOL as string)) {
    return { rule: 'ENV-8', seen: `SERVER_PROTOCOL ${show(environ.SERVER_PROTOCOL)}` };
  }
  const found = checkTsgiKeys(environ);
  if (found) return found;
  for (const key of Object.keys(environ)) {
    const value = environ[key];
    if (key.startsWith('HTTP_')) {
      if (!HTTP_KEY.test(key)) return { rule: 'ENV-9', seen: `key ${show(key)} is not an upper-cased header name` };
      if (key === 'HTTP_CONTENT_TYPE' || key === 'HTTP_CONTENT_LENGTH') return { rule: 'ENV-9', seen: `key ${key} is present` };
      if (value !== undefined && typeof value !== 'string') return { rule: 'ENV-9', seen: `${key} is ${show(value)}` };
    } else if (key.includes('.')) {
      continue;
    } else if (CGI_KEY.test(key)) {
      if (typeof value !== 'string') return { rule: 'ENV-17', seen: `${key} is ${show(value)}` };
    } else {
      return { rule: 'ENV-18', seen: `key ${show(key)} has no dotted prefix` };
    }
  }
  return null;
}

function checkTsgiKeys(environ: Record<string, unknown>): Finding | null {
  const version = environ['tsgi.version'];
  if (!Array.isArray(version) || version.length !== 2 || version[0] !== 1 || version[1] !== 0) {
    return { rule: 'ENV-11', seen: `tsgi.version is ${show(version)}` };
  }
  const scheme = environ['tsgi.url_scheme'];
  if (scheme !== 'http' && scheme !== 'https') return { rule: 'ENV-12', seen: `tsgi.url_scheme is ${show(scheme)}` };
  const input = environ['tsgi.input'] as Record<string | symbol, unknown> | undefined;
  if (
    input === null ||
    typeof input !== 'object' ||
    typeof input.read !== 'function' ||
    typeof input.readLine !== 'function' ||
    typeof input[Symbol.asyncIterator] !== 'function'
  ) {
    return { rule: 'ENV-13', seen: `tsgi.input is ${show(input)} without read/readLine/asyncIterator` };
  }
  const errors = environ['tsgi.errors'] as Record<string, unknown> | undefined;
  if (errors === null || typeof errors !== 'object' || typeof errors.write !== 'function' || typeof errors.flush !== 'function') {
    return { rule: 'ENV-14', seen: `tsgi.errors is ${show(errors)} without write/flush` };
  }
  for (const key of ['tsgi.multithread', 'tsgi.multiprocess', 'tsgi.run_once']) {
    if (typeof environ[key] !== 'boolean') return { rule: 'ENV-15', seen: `${key} is ${show(environ[key])}` };
  }
  if (environ['tsgi.input_terminated'] !== true) {
    return { rule: 'ENV-16', seen: `tsgi.input_terminated is ${show(environ['tsgi.input_terminated'])}` };
  }
  return null;
}
