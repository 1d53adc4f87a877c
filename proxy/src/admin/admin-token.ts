import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { messageOf, errorCode } from '@tsgi/errors';
import type { ProxyConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';

/** A shorter token is guessable over a network: refused at start. */
const MIN_LENGTH = 16;

/**
 * The admin API's bearer token: `TSGI_PROXY_ADMIN_TOKEN`, else the first line of `admin.tokenFile` (a
 * Kubernetes or Compose secret); null when neither is set (writes are then refused). Read once at start.
 */
export function adminToken(config: ProxyConfig, env: NodeJS.ProcessEnv): string | null {
  const fromEnv = env.TSGI_PROXY_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.trim().length < MIN_LENGTH) throw new ConfigError(`config: TSGI_PROXY_ADMIN_TOKEN must be a token of at least ${MIN_LENGTH} characters (from TSGI_PROXY_ADMIN_TOKEN)`);
    return fromEnv.trim();
  }
  const file = config.admin.tokenFile;
  if (file === undefined) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: admin.tokenFile cannot be read: ${file} (${errorCode(err) ?? messageOf(err)})`);
  }
  const token = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (token.length < MIN_LENGTH) throw new ConfigError(`config: admin.tokenFile must hold a token of at least ${MIN_LENGTH} characters: ${file}`);
  return token;
}

/** True when `header` is `Bearer <token>` for this token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
  if (m === null) return false;
  // Equal-length digests: the comparison takes the same time whatever was sent.
  return timingSafeEqual(createHash('sha256').update(m[1] ?? '').digest(), createHash('sha256').update(token).digest());
}
