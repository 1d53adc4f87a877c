import type { App, Environ, ResponseBody, ResponseHeaders, StartResponse, Write } from '@tsgi/gateway';
import { encodingNegotiator, forbidsTransform, weakenETag } from '@tsgi/http1';
import { InvalidOptionError } from '../errors.js';
import { arrayBodyLength, wrapBody } from '../shared/body.js';
import { addVary, getHeader, lowerName } from '../shared/headers.js';
import { checkKnown, readInteger } from '../shared/options.js';
import { statusCode } from '../shared/respond.js';
import { isCompressible } from './compressible.js';
import { StreamCompressor } from './stream-compressor.js';

/** Options of {@link compression}. */
export interface CompressionOptions {
  /** Codings offered, in the server's order of preference for q-value ties. Default `['br', 'gzip']`. */
  encodings?: Array<'br' | 'gzip'>;
  /** Bodies known to be smaller than this many bytes (Content-Length or an array body) are sent as they are. Default 1024. */
  threshold?: number;
  /** gzip level 1..9. Default 6 (zlib's default). */
  gzipLevel?: number;
  /** Brotli quality 0..11. Default 4: close to gzip -6 in speed, smaller output; 11 is for precompressing, not for live responses. */
  brotliQuality?: number;
  /** Decides by Content-Type; default: mime-db's `compressible` flag, else `text/*`, `+json`, `+xml`. */
  filter?: (contentType: string) => boolean;
}

const MW = 'compression';
// Accept-Ranges goes too (as nginx does): ranges of the identity bytes do not apply to the coded ones.
const DROP = new Set(['content-length', 'accept-ranges']);

/**
 * gzip / brotli response compression by Accept-Encoding q-values.
 *
 * HEAD gets the headers GET would get: the same decision (from Content-Length,
 * as a HEAD body is usually empty) and the same coding of whatever body it has,
 * so the server frames it as GET's and then drops the bytes.
 *
 * Skipped: 1xx/204/206/304; bodies with a Content-Encoding already or
 * a Content-Range; `Cache-Control: no-transform`; types the filter rejects;
 * bodies known to be below `threshold`. Compressible responses get
 * `Vary: Accept-Encoding` whether or not this client got them compressed.
 * When compressing: Content-Length and Accept-Ranges are removed, a strong ETag becomes weak
 * (the bytes differ from the identity representation), and every chunk of an
 * async body is flushed through so streamed responses keep streaming; sync
 * bodies (arrays) are compressed in one stream without intermediate flushes.
 * `write()` from startResponse goes through the same compressor in order.
 */
export function compression(app: App, options: CompressionOptions = {}): App {
  checkKnown(MW, options, ['encodings', 'threshold', 'gzipLevel', 'brotliQuality', 'filter']);
  const encodings = options.encodings ?? ['br', 'gzip'];
  if (!Array.isArray(encodings) || encodings.length === 0 || encodings.some((e) => e !== 'br' && e !== 'gzip')) {
    throw new InvalidOptionError(MW, 'encodings', "must be a non-empty array of 'br' and 'gzip'", encodings);
  }
  const threshold = readInteger(MW, 'threshold', options.threshold, 1024);
  const gzipLevel = readInteger(MW, 'gzipLevel', options.gzipLevel, 6, 1, 9);
  const brotliQuality = readInteger(MW, 'brotliQuality', options.brotliQuality, 4, 0, 11);
  const filter = options.filter ?? isCompressible;
  if (typeof filter !== 'function') throw new InvalidOptionError(MW, 'filter', 'must be a function', filter);
  const negotiate = encodingNegotiator([...new Set(encodings)]);

  /** Headers to send and the coding to apply (null: pass the body through). */
  function decide(status: string, headers: ResponseHeaders, coding: string | null, bodyLength: number | undefined): [ResponseHeaders, string | null] {
    const code = statusCode(status);
    if (code < 200 || code === 204 || code === 206 || code === 304) return [headers, null];
    const type = getHeader(headers, 'content-type');
    if (type === undefined || !filter(type)) return [headers, null];
    const ce = getHeader(headers, 'content-encoding');
    if ((ce !== undefined && ce.trim().toLowerCase() !== 'identity') || getHeader(headers, 'content-range') !== undefined) return [headers, null];
    const cc = getHeader(headers, 'cache-control');
    if (cc !== undefined && forbidsTransform(cc)) return [headers, null];
    const varied = addVary(headers, 'Accept-Encoding');
    if (coding === null) return [varied, null];
    const cl = getHeader(headers, 'content-length');
    if ((cl !== undefined && Number(cl) < threshold) || (bodyLength !== undefined && bodyLength < threshold)) return [varied, null];
    const out: ResponseHeaders = [];
    for (const h of varied) {
      const lower = lowerName(h[0]);
      if (DROP.has(lower)) continue;
      if (lower === 'etag') out.push([h[0], weakenETag(h[1])]);
      else out.push(h);
    }
    out.push(['Content-Encoding', coding]);
    return [out, coding];
  }

  return function compressionApp(environ: Environ, startResponse: StartResponse): ResponseBody | Promise<ResponseBody> {
    const head = environ.REQUEST_METHOD === 'HEAD';
    const coding = negotiate(environ.HTTP_ACCEPT_ENCODING);

    let pending: { status: string; headers: ResponseHeaders; excInfo: unknown } | undefined;
    let upstreamWrite: Write | undefined;
    let compressor: StreamCompressor | undefined;
    let emitted = false;
    let returned = false;
    let asyncBody = true;

    const finalize = (bodyLength?: number): void => {
      const p = pending as NonNullable<typeof pending>;
      pending = undefined;
      const [headers, chosen] = decide(p.status, p.headers, coding, bodyLength);
      compressor?.destroy();
      compressor = chosen === null ? undefined : new StreamCompressor(chosen as 'br' | 'gzip', chosen === 'br' ? brotliQuality : gzipLevel);
      upstreamWrite = p.excInfo === undefined ? startResponse(p.status, headers) : startResponse(p.status, headers, p.excInfo);
    };

    const write: Write = async (chunk) => {
      if (pending !== undefined) finalize();
      const w = upstreamWrite as Write;
      if (compressor === undefined) return w(chunk);
      if (chunk.length === 0) return;
      const out = await compressor.push(chunk, true);
      if (out.length > 0) {
        emitted = true;
        await w(out);
      }
    };

    const wrapped: StartResponse = (status, headers, excInfo) => {
      if (excInfo !== undefined && emitted) {
        // Compressed bytes went out already: nothing can be replaced, so let
        // the server see the late error exactly as it would without us.
        return startResponse(status, headers, excInfo);
      }
      pending = { status, headers, excInfo };
      if (returned || upstreamWrite !== undefined) finalize();
      return write;
    };

    async function* produce(inner: ResponseBody): AsyncGenerator<Uint8Array, void, undefined> {
      for await (const chunk of inner as AsyncIterable<Uint8Array>) {
        if (pending !== undefined) finalize();
        const c = compressor;
        // A non-Uint8Array chunk goes through untouched so the server reports RESP-7.
        if (c === undefined || !(chunk instanceof Uint8Array)) {
          yield chunk;
          continue;
        }
        if (chunk.length === 0) continue;
        const out = await c.push(chunk, asyncBody);
        if (out.length > 0) {
          emitted = true;
          yield out;
        }
      }
      if (pending !== undefined) finalize();
      if (compressor !== undefined) {
        const out = await compressor.finish();
        if (out.length > 0) {
          emitted = true;
          yield out;
        }
      }
    }

    const afterApp = (body: ResponseBody): ResponseBody => {
      returned = true;
      asyncBody = typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
      // A HEAD body is usually empty: its size says nothing about GET's, so only Content-Length decides.
      const length = arrayBodyLength(body);
      if (pending !== undefined) finalize(head && length === 0 ? undefined : length);
      // Headers decided and nothing to compress: hand the app's body over untouched.
      if (upstreamWrite !== undefined && compressor === undefined) return body;
      return wrapBody(body, produce, () => compressor?.destroy());
    };
    const failed = (error: unknown): never => {
      compressor?.destroy();
      throw error;
    };

    // A sync app stays sync: no promise per request on the common path.
    let result: ResponseBody | Promise<ResponseBody>;
    try {
      result = app(environ, wrapped);
    } catch (error) {
      return failed(error);
    }
    if (typeof (result as Promise<ResponseBody>).then === 'function') return (result as Promise<ResponseBody>).then(afterApp, failed);
    return afterApp(result as ResponseBody);
  };
}
