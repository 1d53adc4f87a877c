import type { HeadLimits } from '@tsgi/http1';
import { messageOf } from '@tsgi/errors';
import { GatewayError } from '../errors.js';
import { DEFAULT_LIMITS, type RequestLimits, type ServerHooks, type ServerOptions } from '../server-types.js';
import type { ErrorStream } from '../types.js';
import { stderrErrors } from './error-stream.js';
import { ForwardedTrust } from './forwarded.js';
import { inputBounds, type InputBounds } from './input-stream.js';

/** ServerOptions with every default applied, validated once at construction. */
export interface ResolvedOptions {
  readonly limits: Readonly<RequestLimits>;
  /** What one tsgi.input read may buffer, from limits.body. */
  readonly input: Readonly<InputBounds>;
  /** The same limits in the shape the wire parser takes. */
  readonly headLimits: HeadLimits;
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly urlScheme: 'http' | 'https';
  readonly multiprocess: boolean;
  readonly serverName: string;
  readonly errors: ErrorStream;
  readonly trust: ForwardedTrust;
  readonly hooks: ServerHooks;
}

function positive(problems: string[], key: string, value: unknown, allowInfinity = false): void {
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isSafeInteger(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) problems.push(`${key} must be a positive integer${allowInfinity ? ' or Infinity' : ''}, got ${JSON.stringify(value)}`);
}

/** Applies defaults and checks every option, reporting all problems in one GW_ERR_OPTIONS_INVALID. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  const limits: RequestLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const problems: string[] = [];
  positive(problems, 'limits.requestLine', limits.requestLine);
  positive(problems, 'limits.fields', limits.fields);
  positive(problems, 'limits.fieldSize', limits.fieldSize);
  positive(problems, 'limits.body', limits.body, true);
  positive(problems, 'limits.headBytes', limits.headBytes, true);
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 5000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10000;
  positive(problems, 'keepAliveTimeoutMs', keepAliveTimeoutMs);
  positive(problems, 'headersTimeoutMs', headersTimeoutMs);
  // nginx's client_body_timeout and send_timeout defaults (60 s).
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 60_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
  positive(problems, 'bodyTimeoutMs', bodyTimeoutMs);
  positive(problems, 'sendTimeoutMs', sendTimeoutMs);
  const urlScheme = options.urlScheme ?? 'http';
  if (urlScheme !== 'http' && urlScheme !== 'https') problems.push(`urlScheme must be 'http' or 'https', got ${JSON.stringify(urlScheme)}`);
  let trust: ForwardedTrust | undefined;
  try {
    trust = new ForwardedTrust(options.forwardedAllowIps ?? ['127.0.0.1', '::1']);
  } catch (err) {
    problems.push(messageOf(err));
  }
  if (problems.length > 0 || trust === undefined) {
    throw new GatewayError('GW_ERR_OPTIONS_INVALID', problems.join('; '));
  }
  return Object.freeze({
    limits: Object.freeze(limits),
    input: Object.freeze(inputBounds(limits.body)),
    headLimits: Object.freeze({ requestLine: limits.requestLine, fieldLine: limits.fieldSize, fields: limits.fields, headBytes: limits.headBytes }),
    keepAliveTimeoutMs,
    headersTimeoutMs,
    bodyTimeoutMs,
    sendTimeoutMs,
    urlScheme,
    multiprocess: options.multiprocess ?? false,
    serverName: options.serverName ?? '',
    errors: options.errors ?? stderrErrors,
    trust,
    hooks: options.hooks ?? {},
  });
}
