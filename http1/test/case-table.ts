import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeadLimits } from '../src/index.ts';

/** One request as the app should see it. */
export interface SeenRequest {
  method: string;
  /** Path, still percent-encoded. */
  path: string;
  query: string;
  /** Body length in bytes. */
  body: number;
}

/**
 * What must happen to a case's bytes on one connection: these requests reach
 * the app in order, then (optionally) the next head is refused with `status`
 * and the connection closed, or the bytes end mid-message (`incomplete`: no
 * answer, the server waits for more and closes when the client does).
 */
export interface Expected {
  requests?: SeenRequest[];
  status?: number;
  incomplete?: boolean;
}

/** A case of the shared table (http1/test/cases/*.json). */
export interface WireCase {
  id: string;
  /** Where the request comes from (peer suite and file, RFC section). */
  source: string;
  /** The bytes, latin1 (JSON escapes for controls). */
  raw?: string;
  /** Or the bytes in parts, long runs written as { repeat, times }. */
  rawParts?: (string | { repeat: string; times: number })[];
  /** The bytes are refused before they can form a complete head: the answer must come at once, not at the header timeout. */
  early?: boolean;
  expect: Expected;
  /** The peer's own verdict, when ours differs from it; `note` says why. */
  peer?: string;
  note?: string;
  /** A Host field was added to an HTTP/1.1 request that had none (RFC 9112 section 3.2 requires it; the peer's parser test does not). */
  hostAdded?: boolean;
  /** Limits other than the defaults, for the parser table only (the servers run with their defaults). */
  limits?: Partial<HeadLimits>;
  /** Why this case runs against the parser only, not over sockets (a tier's policy beyond the wire, e.g. the proxy does not tunnel CONNECT). */
  parserOnly?: string;
}

export const CASES_DIR = join(import.meta.dirname, 'cases');

/** Every case of every file in cases/, ids unique. */
export function loadCases(): WireCase[] {
  const all: WireCase[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(CASES_DIR).filter((f) => f.endsWith('.json')).sort()) {
    for (const c of JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as WireCase[]) {
      if (seen.has(c.id)) throw new Error(`duplicate case id ${c.id} in ${file}`);
      seen.add(c.id);
      all.push(c);
    }
  }
  return all;
}

export function bytesOf(c: WireCase): Buffer {
  if (c.raw !== undefined) return Buffer.from(c.raw, 'latin1');
  const text = (c.rawParts ?? []).map((p) => (typeof p === 'string' ? p : p.repeat.repeat(p.times))).join('');
  return Buffer.from(text, 'latin1');
}
