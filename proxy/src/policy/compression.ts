import { encodingNegotiator, forbidsTransform, varyCovers, type ResponseHead } from '@tsgi/http1';

export { negotiateEncoding } from '@tsgi/http1';

/** Encodings the edge can produce, in the config's spelling (the Content-Encoding token). */
export type Encoding = 'br' | 'gzip';

/** `compression` as validated (global), or a route's partial override of it. */
export interface CompressionSettings {
  enabled: boolean;
  encodings: readonly Encoding[];
  minBytes: number;
  types: readonly string[];
  gzipLevel: number;
  brotliQuality: number;
}

/** What a route compresses; routes with compression off carry null, so the hot path checks one field. */
export interface CompressionPolicy {
  readonly encodings: readonly Encoding[];
  readonly minBytes: number;
  readonly gzipLevel: number;
  readonly brotliQuality: number;
  /** True when the media type (lower-case, no parameters) is worth compressing. */
  compressible(mediaType: string): boolean;
  /** The encoding this client's Accept-Encoding gets (`negotiateEncoding` over `encodings`, memoised), or null. */
  negotiate(acceptEncoding: string | null): Encoding | null;
}

/** The decision for one response: header lines to send and the encoding, or null to pass it through as is. */
export interface CompressionPlan {
  /** The response's header lines, rewritten (Vary added, strong ETag weakened, Content-Encoding added when compressing). */
  lines: string;
  encoding: Encoding | null;
}

/** Merges a route's override into the global settings; null when the result is off. */
export function compressionPolicy(global: CompressionSettings, route: Partial<CompressionSettings> | boolean | undefined): CompressionPolicy | null {
  const s: CompressionSettings = typeof route === 'boolean' ? { ...global, enabled: route } : { ...global, ...route };
  if (!s.enabled || s.encodings.length === 0) return null;
  const exact = new Set<string>();
  const majors: string[] = [];
  const suffixes: string[] = [];
  for (const t of s.types) {
    const type = t.toLowerCase();
    const slash = type.indexOf('/');
    const sub = type.slice(slash + 1);
    if (sub === '*') majors.push(type.slice(0, slash + 1));
    else if (sub.startsWith('*+')) suffixes.push(sub.slice(1));
    else exact.add(type);
  }
  const negotiate = encodingNegotiator(s.encodings);
  return {
    encodings: s.encodings,
    negotiate,
    minBytes: s.minBytes,
    gzipLevel: s.gzipLevel,
    brotliQuality: s.brotliQuality,
    compressible(mediaType: string): boolean {
      if (exact.has(mediaType)) return true;
      for (const m of majors) if (mediaType.startsWith(m)) return true;
      for (const x of suffixes) if (mediaType.endsWith(x) && mediaType.indexOf('/') < mediaType.length - x.length) return true;
      return false;
    },
  };
}

/**
 * Decides whether to compress one upstream response (only called for routes
 * with compression on, for responses that have a body): never when the
 * upstream already set Content-Encoding, sent `Cache-Control: no-transform`,
 * answered 206, or declared fewer than `minBytes`; only for compressible
 * Content-Types. An eligible response gets `Vary: Accept-Encoding` whether or
 * not this client accepts an encoding, so caches keep the variants apart; a
 * compressed one also gets Content-Encoding and a weakened ETag (the bytes
 * differ from the upstream's representation).
 */
export function planCompression(policy: CompressionPolicy, acceptEncoding: string | null, head: ResponseHead): CompressionPlan | null {
  if (head.status === 206 || head.status < 200) return null;
  if (head.contentLength >= 0 && (head.contentLength < policy.minBytes || head.contentLength === 0)) return null;
  const lines = head.lines;
  let type = '';
  let etagStart = -1;
  let etagEnd = -1;
  let varied = false;
  let pos = 0;
  while (pos < lines.length) {
    const eol = lines.indexOf('\r\n', pos);
    const colon = lines.indexOf(':', pos);
    const nameLen = colon - pos;
    // Only a handful of names matter; compare lengths first so most lines cost one branch.
    if (nameLen === 12 || nameLen === 13 || nameLen === 16 || nameLen === 4) {
      const name = lines.slice(pos, colon).toLowerCase();
      const value = lines.slice(colon + 1, eol).trim();
      switch (name) {
        case 'content-type': {
          const semi = value.indexOf(';');
          type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
          break;
        }
        case 'content-encoding':
          if (value !== '' && value.toLowerCase() !== 'identity') return null;
          break;
        case 'cache-control':
          if (forbidsTransform(value)) return null;
          break;
        case 'etag':
          if (!value.startsWith('W/')) {
            etagStart = colon + 1;
            etagEnd = eol;
          }
          break;
        case 'vary':
          if (varyCovers(value, 'accept-encoding')) varied = true;
          break;
        default:
          break;
      }
    }
    pos = eol + 2;
  }
  if (type === '' || !policy.compressible(type)) return null;
  const encoding = policy.negotiate(acceptEncoding);
  let out = lines;
  if (encoding !== null && etagStart >= 0) out = `${lines.slice(0, etagStart)} W/${lines.slice(etagStart, etagEnd).trim()}${lines.slice(etagEnd)}`;
  if (!varied) out += 'vary: Accept-Encoding\r\n';
  if (encoding !== null) out += `content-encoding: ${encoding}\r\n`;
  return { lines: out, encoding };
}
