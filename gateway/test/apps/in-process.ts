// An in-process driver for apps: builds a real environ from a Request (the
// toFetch environ builder) and plays the server's part of the interface, so
// validator tests can see exactly what reaches the server.
import type { App, Environ, ErrorStream, ResponseHeaders } from '@tsgi/gateway';
import { environFromRequest } from '../../src/adapters/fetch-environ.js';

export interface Driven {
  /** The status the server was given ('' if startResponse never reached it). */
  status: string;
  headers: ResponseHeaders;
  body: string;
  /** The error that cut the response, if one did. */
  error?: unknown;
  /** How many times startResponse reached the server. */
  starts: number;
  errorsWritten: string[];
}

export function makeEnviron(
  init: RequestInit & { duplex?: 'half' } = {},
  url = 'http://example.test/path?q=1',
): { environ: Environ; errorsWritten: string[] } {
  const errorsWritten: string[] = [];
  const errors: ErrorStream = { write: (m) => void errorsWritten.push(m), flush: () => undefined };
  const request = new Request(url, init);
  const environ = environFromRequest(request, new URL(url), { errors, remoteAddress: '127.0.0.1' });
  if (!environ) throw new Error('test environ did not build');
  return { environ, errorsWritten };
}

export interface DriveOptions {
  /** Call the body's close() this many times (a server must call it once). */
  closeCalls?: number;
  /** A server that returns from startResponse(…, excInfo) after headers instead of rethrowing. */
  sloppyExcInfo?: boolean;
}

/** Runs one request the way a server would: iterate the body, then close() it. */
export async function drive(app: App, environ: Environ, options: DriveOptions = {}): Promise<Driven> {
  const out: Driven = { status: '', headers: [], body: '', starts: 0, errorsWritten: [] };
  const chunks: Uint8Array[] = [];
  let sent = false;
  const startResponse = (status: string, headers: ResponseHeaders, excInfo?: unknown) => {
    if (excInfo !== undefined && excInfo !== null && sent && !options.sloppyExcInfo) throw excInfo;
    out.starts++;
    out.status = status;
    out.headers = headers;
    return async (chunk: Uint8Array) => {
      sent = true;
      chunks.push(chunk);
    };
  };
  let body: Awaited<ReturnType<App>> | undefined;
  try {
    body = await app(environ, startResponse);
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (chunk.length > 0) sent = true;
      chunks.push(chunk);
    }
  } catch (error) {
    out.error = error;
  } finally {
    for (let i = 0; i < (options.closeCalls ?? 1); i++) await body?.close?.();
  }
  out.body = Buffer.concat(chunks).toString('latin1');
  return out;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
